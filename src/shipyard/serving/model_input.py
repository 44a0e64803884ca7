"""Reading a ``/predict`` body into the signature's columns, checked without pandas.

Accepted bodies (the first three are shipyard's, the rest MLflow's, so a client
of ``mlflow models serve`` works unchanged)::

    {"records": [{"income": 52.0, "age": 31}, ...]}      or a bare [{...}, ...]
    {"columns": {"income": [52.0, ...], "age": [31, ...]}}
    {"dataframe_records": [{...}, ...]}
    {"dataframe_split": {"columns": ["income", "age"], "data": [[52.0, 31], ...]}}
    {"inputs": {...columns...} | [...records...]}         ({"instances": ...} likewise)

Each request is checked here, in plain Python, against the rules the
signature applies (missing columns, nulls, types), so a bad request gets a 422
naming its column without costing a DataFrame, and a good one is a few lists
that the batcher concatenates with others into one frame. The frame then goes
through ``Signature.validate`` once per batch, exactly as in batch inference.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shipyard.assets.models.signature import Signature
from shipyard.core.errors import InvalidInput

_FORMS = (
    '{"records": [{...}, ...]}, a list of row objects, {"columns": {"name": [...]}}, '
    '{"dataframe_split": {"columns": [...], "data": [[...]]}} or {"dataframe_records": [...]}'
)
_MISSING = object()


@dataclass(frozen=True, slots=True)
class ModelInput:
    """One request's rows as the signature's columns (name → values), in signature order."""

    columns: dict[str, list[Any]]
    rows: int


def decode_body(body: bytes) -> Any:
    """The JSON value of a request body, or ``InvalidInput`` saying where it breaks."""
    if not body.strip():
        raise InvalidInput(f"the request body is empty; send JSON such as {_FORMS}")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise InvalidInput("the request body is not UTF-8 text; send JSON") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


class InputReader:
    """Turns a decoded body into a ``ModelInput`` for one signature, or raises ``InvalidInput``."""

    def __init__(self, signature: Signature) -> None:
        self.signature = signature
        self.names = signature.names
        self.checks: list[tuple[str, str, bool, Callable[[Any], bool]]] = [
            (c.name, c.type, c.nullable, _ACCEPTS[c.type]) for c in signature.inputs
        ]

    def read(self, payload: Any) -> ModelInput:
        columns, rows = self._columns(payload)
        if rows == 0:
            raise InvalidInput(f"the request has no rows; send at least one, as {_FORMS}")
        self._check(columns)
        return ModelInput(columns, rows)

    # -- the accepted forms --------------------------------------------------------

    def _columns(self, payload: Any) -> tuple[dict[str, list[Any]], int]:
        if isinstance(payload, list):
            return self._rows(payload, "the body")
        if not isinstance(payload, dict):
            raise InvalidInput(
                f"cannot read a JSON {_json_type(payload)} as model input; send {_FORMS}"
            )
        if "records" in payload:
            return self._rows(payload["records"], "records")
        if "dataframe_records" in payload:
            return self._rows(payload["dataframe_records"], "dataframe_records")
        if "columns" in payload and "data" in payload:
            return self._split(payload, "the body")
        if "columns" in payload:
            return self._columnar(payload["columns"], "columns")
        if "dataframe_split" in payload:
            split = payload["dataframe_split"]
            if not isinstance(split, dict):
                raise InvalidInput('"dataframe_split" must be {"columns": [...], "data": [[...]]}')
            return self._split(split, "dataframe_split")
        for key in ("inputs", "instances"):
            if key in payload:
                value = payload[key]
                return (
                    self._rows(value, key)
                    if isinstance(value, list)
                    else self._columnar(value, key)
                )
        raise InvalidInput(
            f"the body has none of the expected keys (it has {', '.join(map(repr, list(payload)[:5])) or 'none'}); "
            f"send {_FORMS}"
        )

    def _rows(self, rows: Any, where: str) -> tuple[dict[str, list[Any]], int]:
        if not isinstance(rows, list):
            raise InvalidInput(
                f"{where} must be a list of row objects, got a JSON {_json_type(rows)}"
            )
        if rows and all(isinstance(r, list) for r in rows):
            return self._positional(self.names, rows, where)
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise InvalidInput(
                    f"row {i} of {where} is a JSON {_json_type(row)}, not an object of column values"
                )
        columns: dict[str, list[Any]] = {}
        missing = []
        for name in self.names:
            values = [row.get(name, _MISSING) for row in rows]
            if any(v is _MISSING for v in values):
                if all(v is _MISSING for v in values):
                    missing.append(name)
                    continue
                values = [None if v is _MISSING else v for v in values]
            columns[name] = values
        self._refuse_missing(missing)
        return columns, len(rows)

    def _columnar(self, body: Any, where: str) -> tuple[dict[str, list[Any]], int]:
        if not isinstance(body, dict):
            raise InvalidInput(f"{where} must be an object of column name → list of values")
        self._refuse_missing([n for n in self.names if n not in body])
        if not any(isinstance(body[n], list) for n in self.names):
            return {n: [body[n]] for n in self.names}, 1  # one row given as {column: value}
        columns: dict[str, list[Any]] = {}
        lengths = set()
        for name in self.names:
            values = body[name]
            if not isinstance(values, list):
                raise InvalidInput(f"column {name!r} in {where} must be a list of values")
            columns[name] = values
            lengths.add(len(values))
        if len(lengths) > 1:
            shown = ", ".join(f"{n}: {len(v)}" for n, v in columns.items())
            raise InvalidInput(f"the columns in {where} have different lengths ({shown})")
        return columns, lengths.pop() if lengths else 0

    def _split(self, body: dict[str, Any], where: str) -> tuple[dict[str, list[Any]], int]:
        names, data = body.get("columns"), body.get("data")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidInput(f'"columns" of {where} must be a list of column names')
        if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
            raise InvalidInput(f'"data" of {where} must be a list of rows (lists of values)')
        return self._positional(names, data, where)

    def _positional(
        self, names: list[str], data: list[list[Any]], where: str
    ) -> tuple[dict[str, list[Any]], int]:
        for i, row in enumerate(data):
            if len(row) != len(names):
                raise InvalidInput(
                    f"row {i} of {where} has {len(row)} values but there are {len(names)} columns "
                    f"({', '.join(names)})"
                )
        where_is = {n: i for i, n in enumerate(names)}
        self._refuse_missing([n for n in self.names if n not in where_is])
        return {n: [row[where_is[n]] for row in data] for n in self.names}, len(data)

    def _refuse_missing(self, missing: list[str]) -> None:
        if missing:
            raise InvalidInput(
                f"input is missing column(s) {', '.join(map(repr, missing))}; "
                f"the model expects: {self.signature}"
            )

    # -- the signature's rules -----------------------------------------------------

    def _check(self, columns: Mapping[str, list[Any]]) -> None:
        problems = []
        for name, kind, nullable, accepts in self.checks:
            for row, value in enumerate(columns[name]):
                if value is None or (type(value) is float and math.isnan(value)):
                    if nullable:
                        continue
                    problems.append(
                        f"column {name!r} has a null at row {row} but the signature does not "
                        "allow nulls there"
                    )
                    break
                if not accepts(value):
                    problems.append(
                        f"column {name!r} ({kind}): {_shown(value)} at row {row} {_PROBLEM[kind]}"
                    )
                    break
        if problems:
            raise InvalidInput("input does not match the model signature: " + "; ".join(problems))


def _is_float(value: Any) -> bool:
    t = type(value)
    return t is float or t is int


def _is_integer(value: Any) -> bool:
    t = type(value)
    return t is int or (t is float and math.isfinite(value) and value.is_integer())


_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "float": _is_float,
    "integer": _is_integer,
    "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool,
    "datetime": lambda v: type(v) is str,  # ISO 8601 text; parsed by the signature per batch
}
_PROBLEM = {
    "float": "is not a number",
    "integer": "is not an integer",
    "string": "is not a string",
    "boolean": "is not true/false",
    "datetime": "is not a datetime (ISO 8601 text)",
}


def _shown(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, list | dict) else repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} ({_json_type(value)})"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
