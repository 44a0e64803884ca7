"""Schema, row count and per-column statistics on small tables whose answers are known."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
import pyarrow as pa
import pytest

from shipyard.assets.datasets import column_stats, table_stats


def test_integers_with_nulls() -> None:
    s = column_stats(pa.array([1, 2, None, 4, 3]))
    assert s["kind"] == "numeric" and s["type"] == "int64"
    assert (s["count"], s["nulls"], s["min"], s["max"]) == (4, 1, 1, 4)
    assert s["mean"] == pytest.approx(2.5)
    assert s["std"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert s["quantiles"] == pytest.approx(
        {
            k: np.quantile([1, 2, 3, 4], q)
            for k, q in {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}.items()
        }
    )


def test_floats_ignore_nan_and_infinity_and_count_them() -> None:
    s = column_stats(pa.array([1.0, float("nan"), None, 3.0, float("inf"), float("-inf")]))
    assert (s["count"], s["nulls"], s["nans"], s["infs"]) == (5, 1, 1, 2)
    assert (s["min"], s["max"], s["mean"]) == (1.0, 3.0, 2.0)
    assert s["quantiles"]["p50"] == 2.0


def test_all_null_and_all_nan_columns() -> None:
    s = column_stats(pa.array([None, None], pa.float64()))
    assert (s["count"], s["nulls"], s["min"], s["mean"], s["std"]) == (0, 2, None, None, None)
    assert set(s["quantiles"].values()) == {None}
    nan = column_stats(pa.array([float("nan")] * 3))
    assert (nan["nans"], nan["min"], nan["mean"]) == (3, None, None)
    null_type = column_stats(pa.nulls(3))
    assert null_type == {"type": "null", "kind": "null", "count": 0, "nulls": 3}


def test_strings_top_values_unicode_and_ties() -> None:
    values = ["é", "b", "é", None, "a", "b", "日本", "é"]
    s = column_stats(pa.array(values), top_k=3)
    assert (s["count"], s["nulls"], s["distinct"]) == (7, 1, 4)
    # "a" and "日本" tie at one; the smaller value wins, so the record is stable
    assert s["top"] == [
        {"value": "é", "count": 3},
        {"value": "b", "count": 2},
        {"value": "a", "count": 1},
    ]


def test_long_top_values_are_cut() -> None:
    s = column_stats(pa.array(["x" * 1000]))
    assert len(s["top"][0]["value"]) == 200 and s["top"][0]["value"].endswith("…")


def test_categorical_counts_as_string() -> None:
    s = column_stats(pa.array(["x", "y", "x"]).dictionary_encode())
    assert s["kind"] == "string" and s["type"].startswith("dictionary")
    assert s["top"][0] == {"value": "x", "count": 2}


def test_booleans_and_timestamps() -> None:
    b = column_stats(pa.array([True, False, None, True]))
    assert (b["true"], b["false"], b["nulls"]) == (2, 1, 1)
    ts = column_stats(
        pa.array(
            [dt.datetime(2024, 3, 1, tzinfo=dt.UTC), None, dt.datetime(2023, 1, 2, tzinfo=dt.UTC)],
            pa.timestamp("ns", tz="UTC"),
        )
    )
    assert ts["kind"] == "temporal"
    assert ts["min"].startswith("2023-01-02 00:00:00") and ts["max"].startswith("2024-03-01")
    d = column_stats(pa.array([dt.date(2024, 1, 2), dt.date(2020, 5, 6)]))
    assert (d["min"], d["max"]) == ("2020-05-06", "2024-01-02")


def test_table_stats_shape_and_strict_json() -> None:
    table = pa.table(
        {
            "n": [1.5, float("nan"), float("inf")],
            "s": ["ü", None, "ü"],
            "l": [[1], None, []],
            "bin": [b"a", b"b", b"a"],
        }
    )
    stats = table_stats(table)
    assert stats["num_rows"] == 3 and stats["num_columns"] == 4
    assert stats["schema"][0] == {"name": "n", "type": "double", "nullable": True}
    assert list(stats["columns"]) == ["n", "s", "l", "bin"]
    assert stats["columns"]["l"]["kind"] == "other"
    assert stats["columns"]["bin"]["distinct"] == 2
    json.dumps(stats, allow_nan=False)  # no NaN or Infinity anywhere


def test_empty_table() -> None:
    table = pa.table({"x": pa.array([], pa.int64()), "s": pa.array([], pa.string())})
    stats = table_stats(table)
    assert stats["num_rows"] == 0
    assert stats["columns"]["x"]["min"] is None and stats["columns"]["x"]["count"] == 0
    assert stats["columns"]["s"] == {
        "type": "string",
        "kind": "string",
        "count": 0,
        "nulls": 0,
        "distinct": 0,
        "top": [],
    }
    json.dumps(stats, allow_nan=False)


def test_a_million_rows_is_fast() -> None:
    n = 1_000_000
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "x": rng.normal(size=n),
            "i": rng.integers(0, 1000, n),
            "s": pa.array(rng.choice(["red", "green", "blue"], n)),
            "u": pa.array(np.arange(n).astype(str)),
            "b": rng.random(n) > 0.3,
        }
    )
    start = time.perf_counter()
    stats = table_stats(table)
    took = time.perf_counter() - start
    print(f"table_stats on 1M rows x 5 columns: {took:.2f}s")
    assert stats["columns"]["u"]["distinct"] == n
    assert took < 30
