"""What a model takes and gives: ordered input columns with types, and an output description.

A signature is inferred from a sample input when a model is saved and enforced
by every ``predict`` call. The rules ``validate`` applies:

- Missing columns are refused, all named at once.
- Extra columns are dropped and the rest put in signature order, as MLflow
  does: callers often send whole rows of a wider table.
- Only lossless casts happen: integer → float, whole floats → integer, ISO 8601
  strings → datetime. Anything else (a string in a float column, a bool in an
  integer column) is refused with the column, the first bad value and its row.
- Nulls are refused in columns the sample had no nulls in, unless the signature
  says the column is nullable (``infer_signature(..., nullable=["age"])``).

Column types are a small set: integer, float, string, boolean, datetime. A
pandas categorical column takes the type of its categories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.assets.models.optional import require
from shipyard.assets.models.tables import as_frame, coerce_column, column_type
from shipyard.core.errors import InvalidInput

COLUMN_TYPES = ("integer", "float", "string", "boolean", "datetime")
OUTPUT_TYPES = (*COLUMN_TYPES, "table", "object")


@dataclass(frozen=True)
class Column:
    """One input column: its name, type (one of ``COLUMN_TYPES``) and whether nulls are allowed."""

    name: str
    type: str
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise InvalidInput(
                f"column {self.name!r} has unknown type {self.type!r}; "
                f"use one of: {', '.join(COLUMN_TYPES)}"
            )

    def __str__(self) -> str:
        return f"{self.name} ({self.type}{', nullable' if self.nullable else ''})"


@dataclass(frozen=True)
class Output:
    """What ``predict`` returns: an array (``type`` of its values, ``shape`` with -1 for rows)
    or a table (``type="table"`` and its ``columns``)."""

    type: str
    shape: tuple[int, ...] | None = None
    columns: tuple[Column, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type}
        if self.shape is not None:
            body["shape"] = list(self.shape)
        if self.columns:
            body["columns"] = [_column_dict(c) for c in self.columns]
        return body


@dataclass(frozen=True)
class Signature:
    """The input columns a model expects, in order, and optionally what it returns."""

    inputs: tuple[Column, ...]
    output: Output | None = field(default=None)

    def __post_init__(self) -> None:
        names = [c.name for c in self.inputs]
        if not names:
            raise InvalidInput("a signature needs at least one input column")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidInput(f"a signature names each column once; repeated: {duplicates}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.inputs]

    def __str__(self) -> str:
        return ", ".join(str(c) for c in self.inputs)

    def validate(self, data: Any) -> Any:
        """Return ``data`` as a DataFrame in signature order and types, or raise ``InvalidInput``.

        ``data`` may be a DataFrame, a dict of lists (or of scalars, for one
        row), a list of dicts, or a 2-D array / list of lists whose columns
        are taken in signature order.
        """
        frame = as_frame(data, positional_names=self.names)  # first: it checks pandas is there

        import pandas as pd  # type: ignore[import-untyped]

        present = {c for c in frame.columns if isinstance(c, str)}
        missing = [n for n in self.names if n not in present]
        if missing:
            raise InvalidInput(
                f"input is missing column(s) {', '.join(map(repr, missing))}; "
                f"the model expects: {self}"
            )
        problems: list[str] = []
        columns: dict[str, Any] = {}
        for column in self.inputs:
            series = frame[column.name]
            if isinstance(series, pd.DataFrame):
                problems.append(f"column {column.name!r} appears more than once")
                continue
            nulls = series.isna()
            if not column.nullable and bool(nulls.any()):
                row = series.index[nulls.to_numpy().argmax()]
                problems.append(
                    f"column {column.name!r} has a null at row {row!r} but the signature "
                    "does not allow nulls there"
                )
                continue
            coerced = coerce_column(series, column.type)
            if isinstance(coerced, str):
                problems.append(f"column {column.name!r} ({column.type}): {coerced}")
            else:
                columns[column.name] = coerced.reset_index(drop=True)
        if problems:
            raise InvalidInput("input does not match the model signature: " + "; ".join(problems))
        result = pd.DataFrame(columns)
        result.index = frame.index  # set, not aligned: an index may repeat labels
        return result

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"inputs": [_column_dict(c) for c in self.inputs]}
        if self.output is not None:
            body["output"] = self.output.to_dict()
        return body

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Signature:
        try:
            inputs = tuple(_column_from(c) for c in body["inputs"])
            out = body.get("output")
            output = None
            if out is not None:
                if out["type"] not in OUTPUT_TYPES:
                    raise InvalidInput(f"unknown output type {out['type']!r}")
                shape = out.get("shape")
                output = Output(
                    type=out["type"],
                    shape=None if shape is None else tuple(int(n) for n in shape),
                    columns=tuple(_column_from(c) for c in out.get("columns", ())),
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(f"not a model signature: {body!r} ({exc})") from exc
        return cls(inputs=inputs, output=output)


def infer_signature(
    sample_input: Any, sample_output: Any = None, *, nullable: Iterable[str] = ()
) -> Signature:
    """Infer a signature from a few rows of what ``predict`` receives (and returns).

    A numpy array gets columns named ``f0`` … ``fN``. A column is nullable when
    the sample has a null in it or it is listed in ``nullable``.
    """
    frame = as_frame(sample_input)
    extra_nullable = set(nullable)
    inputs = tuple(_infer_column(frame, name, extra_nullable) for name in frame.columns)
    unknown = extra_nullable - {c.name for c in inputs}
    if unknown:
        raise InvalidInput(f"nullable names columns the sample does not have: {sorted(unknown)}")
    output = None if sample_output is None else infer_output(sample_output)
    return Signature(inputs=inputs, output=output)


def infer_output(sample_output: Any) -> Output:
    """Describe a prediction: a table by its columns, an array by its value type and shape."""
    require("pandas", "model signatures")
    import numpy as np
    import pandas as pd

    if isinstance(sample_output, pd.DataFrame) or (
        isinstance(sample_output, list) and sample_output and isinstance(sample_output[0], dict)
    ):
        frame = as_frame(sample_output)
        return Output(
            type="table", columns=tuple(_infer_column(frame, n, set()) for n in frame.columns)
        )
    array = np.asarray(sample_output, dtype=object if isinstance(sample_output, list) else None)
    if array.ndim == 0:
        return Output(type="object")
    try:
        kind = column_type(pd.Series(array.reshape(-1)), name="output")
    except InvalidInput:
        kind = "object"
    return Output(type=kind, shape=(-1, *array.shape[1:]))


def _infer_column(frame: Any, name: object, nullable: set[str]) -> Column:
    if not isinstance(name, str):
        raise InvalidInput(
            f"column names must be strings, got {name!r} ({type(name).__name__}); "
            "name the columns, or pass a numpy array to get f0, f1, …"
        )
    series = frame[name]
    return Column(
        name=name,
        type=column_type(series, name=name),
        nullable=name in nullable or bool(series.isna().any()),
    )


def _column_dict(column: Column) -> dict[str, Any]:
    return {"name": column.name, "type": column.type, "nullable": column.nullable}


def _column_from(body: Mapping[str, Any]) -> Column:
    return Column(name=str(body["name"]), type=body["type"], nullable=bool(body.get("nullable")))
