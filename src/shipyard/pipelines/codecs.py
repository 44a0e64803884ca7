"""How each kind of value is written to files between steps, and read back. Never pickle.

| codec           | value                          | files                          |
|-----------------|--------------------------------|--------------------------------|
| ``pandas``      | pandas DataFrame               | ``value.parquet``              |
| ``pandas_series`` | pandas Series                | ``value.parquet`` (one column) |
| ``polars``      | polars DataFrame               | ``value.parquet``              |
| ``arrow``       | pyarrow Table                  | ``value.parquet``              |
| ``numpy``       | numpy array (not of objects)   | ``value.npy``                  |
| ``json``        | JSON values (numpy scalars become numbers, tuples lists) | ``value.json`` |
| ``model``       | a model a flavor can save, or ``Model(...)`` | the flavor's folder |

Type checks look at ``sys.modules`` first, so nothing heavy is imported for a
type the process has never loaded.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.pipelines.errors import UnstorableValue
from shipyard.pipelines.model_output import Model, load_model_value, save_model_value

SUPPORTED = (
    "a pandas or polars DataFrame, a pandas Series, a pyarrow Table, a numpy array, a JSON "
    "value (dict, list, text, number, bool, None) or a model (a fitted scikit-learn estimator, "
    "an ONNX model, an object with predict, or sy.pipelines.Model(...))"
)


def write_value(
    value: Any, folder: Path, sample_frames: Sequence[Any] = ()
) -> tuple[str, dict[str, Any], str]:
    """Write ``value`` into the empty ``folder``; return its codec, codec metadata and a summary."""
    if isinstance(value, Model):
        return "model", {}, save_model_value(value, folder, sample_frames)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, pd.DataFrame):
        _parquet(lambda pa: pa.Table.from_pandas(value), folder)
        return "pandas", {}, f"DataFrame {len(value):,} rows × {len(value.columns)} columns"
    if pd is not None and isinstance(value, pd.Series):
        _parquet(lambda pa: pa.Table.from_pandas(value.to_frame(name="value")), folder)
        return "pandas_series", {"name": _json_name(value.name)}, f"Series {len(value):,} rows"
    pl = sys.modules.get("polars")
    if pl is not None and isinstance(value, pl.DataFrame):
        _parquet(lambda pa: value.to_arrow(), folder)
        return "polars", {}, f"polars DataFrame {value.height:,} rows × {value.width} columns"
    arrow = sys.modules.get("pyarrow")
    if arrow is not None and isinstance(value, arrow.Table):
        _parquet(lambda pa: value, folder)
        return "arrow", {}, f"Arrow table {value.num_rows:,} rows × {value.num_columns} columns"
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        try:
            np.save(folder / "value.npy", value, allow_pickle=False)
        except ValueError as exc:
            raise UnstorableValue(
                f"a numpy array of dtype {value.dtype} cannot be stored without pickle ({exc}); "
                "convert it to numbers or text, or to a DataFrame"
            ) from None
        return "numpy", {}, f"array {'×'.join(map(str, value.shape)) or 'scalar'} {value.dtype}"
    plain = json_value(value)
    if plain is not _NOT_JSON:
        text = json.dumps(plain, allow_nan=True, ensure_ascii=False)
        (folder / "value.json").write_text(text, encoding="utf-8")
        return "json", {}, _json_summary(plain)
    if _is_model(value):
        return "model", {}, save_model_value(value, folder, sample_frames)
    raise UnstorableValue(
        f"a {type(value).__module__}.{type(value).__qualname__} cannot be stored between "
        f"steps (shipyard never pickles): use {SUPPORTED}"
    )


def read_value(codec: str, meta: dict[str, Any], folder: Path) -> Any:
    """The value ``write_value`` wrote into ``folder``."""
    if codec in ("pandas", "pandas_series", "polars", "arrow"):
        from shipyard.assets.datasets.parquet import read_parquet

        table = read_parquet(folder / "value.parquet")
        if codec == "arrow":
            return table
        if codec == "polars":
            import polars as pl

            return pl.from_arrow(table)
        frame = table.to_pandas()
        if codec == "pandas_series":
            return frame["value"].rename(meta.get("name"))
        return frame
    if codec == "numpy":
        import numpy as np

        return np.load(folder / "value.npy", allow_pickle=False)
    if codec == "json":
        return json.loads((folder / "value.json").read_text(encoding="utf-8"))
    if codec == "model":
        return load_model_value(folder)
    raise InvalidInput(f"unknown value codec {codec!r}; was it written by a newer shipyard?")


_NOT_JSON: Any = object()


def json_value(value: Any) -> Any:
    """``value`` as plain JSON data, or ``_NOT_JSON`` when it is not one."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and not isinstance(value, np.object_):
        item = value.item()
        return item if isinstance(item, bool | int | float | str) else _NOT_JSON
    if isinstance(value, list | tuple):
        items = [json_value(v) for v in value]
        return _NOT_JSON if any(i is _NOT_JSON for i in items) else items
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return _NOT_JSON
        entries = {k: json_value(v) for k, v in value.items()}
        return _NOT_JSON if any(v is _NOT_JSON for v in entries.values()) else entries
    return _NOT_JSON


def is_json(value: Any) -> bool:
    """Whether ``value`` is plain JSON data exactly (no tuples, no numpy scalars)."""
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return all(is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json(v) for k, v in value.items())
    return False


def _is_model(value: Any) -> bool:
    from shipyard.assets.models.flavors import flavor_for

    try:
        flavor_for(value)
    except InvalidInput:
        return False
    return True


def _parquet(to_arrow: Callable[[Any], Any], folder: Path) -> None:
    """Write the Arrow table ``to_arrow(pyarrow)`` gives with the datasets' deterministic writer.

    Equal tables become equal bytes, so a step fed an unchanged table keeps its cache key.
    """
    import pyarrow as pa  # type: ignore[import-untyped]

    from shipyard.assets.datasets.parquet import write_parquet

    try:
        write_parquet(to_arrow(pa), folder / "value.parquet")
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise UnstorableValue(
            f"this table cannot be written as Parquet: {exc}. Give each column values of one "
            "type (e.g. df[col].astype(str))"
        ) from None


def _json_name(name: Any) -> Any:
    plain = json_value(name)
    return None if plain is _NOT_JSON else plain


def _json_summary(value: Any) -> str:
    if isinstance(value, dict):
        return f"JSON object, {len(value)} keys"
    if isinstance(value, list):
        return f"JSON list, {len(value)} items"
    if isinstance(value, float) and not math.isfinite(value):
        return f"JSON {value}"
    text = json.dumps(value, ensure_ascii=False)
    return f"JSON {text if len(text) <= 60 else text[:59] + '…'}"
