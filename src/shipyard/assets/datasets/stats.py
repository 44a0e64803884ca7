"""Schema, row count and per-column statistics of a table, as strict JSON dicts.

Everything is computed by pyarrow.compute kernels over whole columns (no
Python loop over rows), so a million rows take well under a second per column.

What each column records, by kind:

- every column: ``type`` (the Arrow type), ``kind``, ``count`` (non-null
  values) and ``nulls``;
- ``numeric`` (integers, floats, decimals): ``min``, ``max``, ``mean``, ``std``
  (sample, ddof=1) and ``quantiles`` p05/p25/p50/p75/p95 (linear), all over the
  finite values; float columns add ``nans`` and ``infs`` counts, since NaN and
  infinity are not JSON and would poison a mean;
- ``string`` (and dictionary/categorical of strings): ``distinct`` and ``top``,
  the ``top_k`` most frequent values with counts (ties broken by value, so the
  record is the same on every run; values cut at 200 characters);
- ``binary``: ``distinct``;
- ``boolean``: ``true`` and ``false`` counts;
- ``temporal`` (timestamp, date, time, duration): ``min`` and ``max`` as text;
- anything else (lists, structs, maps) and all-null columns: the common fields.
"""

from __future__ import annotations

from typing import Any

from shipyard.assets.datasets.optional import missing_dependency
from shipyard.assets.datasets.values import finite, to_json_value

try:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - exercised only without pyarrow
    raise missing_dependency("pyarrow", "shipyard datasets") from exc

QUANTILES: dict[str, float] = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}
TOP_VALUE_CHARS = 200


def schema_fields(schema: pa.Schema) -> list[dict[str, Any]]:
    """The schema as ``[{"name", "type", "nullable"}, ...]`` in column order."""
    return [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema]


def table_stats(table: pa.Table, top_k: int = 10) -> dict[str, Any]:
    """Row count, schema and the statistics of every column (keyed by column name)."""
    return {
        "num_rows": table.num_rows,
        "num_columns": table.num_columns,
        "schema": schema_fields(table.schema),
        "columns": {
            name: column_stats(table.column(i), top_k) for i, name in enumerate(table.column_names)
        },
    }


def column_stats(column: pa.ChunkedArray | pa.Array, top_k: int = 10) -> dict[str, Any]:
    """The statistics of one column; see the module docstring for the fields."""
    if isinstance(column, pa.Array):
        column = pa.chunked_array([column], type=column.type)
    shown_type = column.type
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    kind = column_kind(column.type)
    out: dict[str, Any] = {
        "type": str(shown_type),
        "kind": kind,
        "count": len(column) - column.null_count,
        "nulls": column.null_count,
    }
    if kind == "numeric":
        out.update(_numeric(column))
    elif kind == "string":
        out.update(_categorical(column, top_k))
    elif kind == "binary":
        out["distinct"] = _int(pc.count_distinct(column, mode="only_valid"))
    elif kind == "boolean":
        true = _int(pc.sum(column))
        out.update(true=true, false=out["count"] - true)
    elif kind == "temporal":
        out.update(_temporal(column))
    return out


def column_kind(dtype: pa.DataType) -> str:
    """``numeric``, ``string``, ``binary``, ``boolean``, ``temporal``, ``null`` or ``other``."""
    t = pa.types
    if t.is_dictionary(dtype):
        return column_kind(dtype.value_type)
    if t.is_null(dtype):
        return "null"
    if t.is_boolean(dtype):
        return "boolean"
    if t.is_integer(dtype) or t.is_floating(dtype) or t.is_decimal(dtype):
        return "numeric"
    if t.is_string(dtype) or t.is_large_string(dtype) or str(dtype) == "string_view":
        return "string"
    if t.is_binary(dtype) or t.is_large_binary(dtype) or t.is_fixed_size_binary(dtype):
        return "binary"
    if str(dtype) == "binary_view":
        return "binary"
    if t.is_timestamp(dtype) or t.is_date(dtype) or t.is_time(dtype) or t.is_duration(dtype):
        return "temporal"
    return "other"


def _numeric(column: pa.ChunkedArray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    values = column
    if pa.types.is_floating(column.type):
        if pa.types.is_float16(column.type):
            values = values.cast(pa.float32())
        out["nans"] = _int(pc.sum(pc.is_nan(values)))
        out["infs"] = _int(pc.sum(pc.is_inf(values)))
        values = values.filter(pc.is_finite(values))
    elif pa.types.is_decimal(column.type):
        values = values.cast(pa.float64())
    as_float = values.cast(pa.float64())
    low_high = pc.min_max(values)
    quantiles = pc.quantile(as_float, q=list(QUANTILES.values()), interpolation="linear")
    out.update(
        min=_number(low_high["min"].as_py()),
        max=_number(low_high["max"].as_py()),
        mean=finite(pc.mean(as_float).as_py()),
        std=finite(pc.stddev(as_float, ddof=1).as_py()),
        quantiles={
            name: finite(q) for name, q in zip(QUANTILES, quantiles.to_pylist(), strict=True)
        },
    )
    return out


def _categorical(column: pa.ChunkedArray, top_k: int) -> dict[str, Any]:
    counted = pc.value_counts(column)
    values, counts = counted.field("values"), counted.field("counts")
    present = values.is_valid()
    table = pa.table({"value": values.filter(present), "count": counts.filter(present)})
    order = [("count", "descending"), ("value", "ascending")]
    k = min(top_k, table.num_rows)
    top: list[dict[str, Any]] = []
    if k > 0:
        chosen = table.take(pc.select_k_unstable(table, k=k, sort_keys=order)).sort_by(order)
        for row in chosen.to_pylist():
            text = str(row["value"])
            if len(text) > TOP_VALUE_CHARS:
                text = text[: TOP_VALUE_CHARS - 1] + "…"
            top.append({"value": text, "count": int(row["count"])})
    return {"distinct": table.num_rows, "top": top}


def _temporal(column: pa.ChunkedArray) -> dict[str, Any]:
    if pa.types.is_duration(column.type):
        low_high = pc.min_max(column.cast(pa.int64()))
        unit = column.type.unit
        return {side: _with_unit(low_high[side].as_py(), unit) for side in ("min", "max")}
    low_high = pc.min_max(column)
    return {
        side: to_json_value(low_high[side].cast(pa.string()).as_py()) for side in ("min", "max")
    }


def _with_unit(value: int | None, unit: str) -> str | None:
    return None if value is None else f"{value}{unit}"


def _number(value: object) -> int | float | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return finite(value)


def _int(scalar: pa.Scalar) -> int:
    value = scalar.as_py()
    return int(value) if value is not None else 0
