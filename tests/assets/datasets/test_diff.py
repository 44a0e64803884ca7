"""Schema changes and rows added, removed and changed: by key columns, or by row hash."""

from __future__ import annotations

import json
import time

import numpy as np
import pyarrow as pa
import pytest

from shipyard.assets.datasets import ChangedRow, TypeChange, diff_tables
from shipyard.core.errors import InvalidInput

OLD = pa.table(
    {
        "id": [1, 2, 3, 4],
        "amount": [10.0, 20.0, float("nan"), None],
        "status": ["a", "b", "c", "d"],
        "legacy": [0, 0, 0, 0],
    }
)
NEW = pa.table(
    {
        "id": [2, 3, 4, 5],
        "amount": [20.0, float("nan"), 40.0, 50.0],
        "status": ["b", "C", "d", "e"],
        "region": ["eu", "eu", "us", "us"],
    }
)


def test_identical_tables_have_an_empty_diff() -> None:
    for key in (None, ["id"]):
        d = diff_tables(OLD, OLD, key=key)
        assert d.is_empty and not d.schema_changed
        assert (d.rows_added, d.rows_removed, d.rows_unchanged) == (0, 0, 4)
        assert "schema unchanged" in d.summary()


def test_schema_changes() -> None:
    d = diff_tables(OLD, NEW.set_column(0, "id", NEW.column("id").cast(pa.float64())))
    assert d.added_columns == {"region": "string"}
    assert d.removed_columns == {"legacy": "int64"}
    assert d.type_changes == (TypeChange("id", "int64", "double"),)
    assert d.compared_columns == ("id", "amount", "status")
    summary = d.summary()
    assert "+ column region: string" in summary and "- column legacy: int64" in summary
    assert "~ column id: int64 -> double" in summary


def test_by_key_added_removed_changed() -> None:
    d = diff_tables(OLD, NEW, key=["id"])
    assert d.mode == "key" and d.key == ("id",)
    assert (d.rows_added, d.rows_removed, d.rows_changed, d.rows_unchanged) == (1, 1, 2, 1)
    # NaN equals NaN; a null that became 40.0 is a change
    assert d.changed_by_column == {"amount": 1, "status": 1}
    assert d.changed_examples == (
        ChangedRow(key={"id": 3}, changes={"status": ("c", "C")}),
        ChangedRow(key={"id": 4}, changes={"amount": (None, 40.0)}),
    )
    assert d.added_examples == ({"id": 5},) and d.removed_examples == ({"id": 1},)
    body = d.to_dict()
    json.dumps(body, allow_nan=False)
    assert body["examples"]["changed"][0] == {"key": {"id": 3}, "changes": {"status": ["c", "C"]}}
    assert "~2 changed" in d.summary() and "by key id" in d.summary()


def test_by_composite_key_and_key_as_string() -> None:
    old = pa.table({"a": [1, 1, 2], "b": ["x", "y", "x"], "v": [1, 2, 3]})
    new = pa.table({"a": [1, 1, 2], "b": ["x", "y", "y"], "v": [1, 5, 3]})
    d = diff_tables(old, new, key=["a", "b"])
    assert (d.rows_added, d.rows_removed, d.rows_changed) == (1, 1, 1)
    assert d.changed_examples[0].key == {"a": 1, "b": "y"}


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ([], "at least one column"),
        (["nope"], "'nope' is not in the old table"),
        (["legacy"], "'legacy' is not in the new table"),
        (["status"], None),
    ],
)
def test_bad_keys(key: list[str], match: str | None) -> None:
    if match is None:
        diff_tables(OLD, NEW, key=key)
        return
    with pytest.raises(InvalidInput, match=match):
        diff_tables(OLD, NEW, key=key)


def test_a_repeated_key_is_invalid_input() -> None:
    dup = pa.table({"id": [1, 1, 2], "v": [1, 2, 3]})
    with pytest.raises(InvalidInput, match=r"not unique in the new table .*'id': 1"):
        diff_tables(OLD.select(["id"]), dup, key="id")


def test_by_hash_counts_a_multiset() -> None:
    old = pa.table({"x": ["a", "a", "b", None], "n": [1, 1, 2, None]})
    new = pa.table({"x": ["a", "b", "b", "c", None], "n": [1, 2, 2, 3, None]})
    d = diff_tables(old, new)
    assert d.mode == "hash" and d.rows_changed is None
    assert (d.rows_added, d.rows_removed, d.rows_unchanged) == (2, 1, 3)
    assert d.added_examples == ({"x": "b", "n": 2}, {"x": "c", "n": 3})
    assert d.removed_examples == ({"x": "a", "n": 1},)
    assert "by row hash" in d.summary()


def test_by_hash_with_schema_change_compares_shared_columns() -> None:
    d = diff_tables(OLD, NEW)
    # compared on id, amount, status: only (2, 20.0, "b") is in both
    assert d.rows_unchanged == 1
    assert (d.rows_added, d.rows_removed) == (3, 3)


def test_by_hash_with_nothing_shared() -> None:
    d = diff_tables(pa.table({"a": [1, 2]}), pa.table({"b": [1]}))
    assert (d.rows_added, d.rows_removed, d.rows_unchanged) == (1, 2, 0)


def test_type_change_compares_after_a_cast() -> None:
    old = pa.table({"id": [1, 2], "v": [1, 2]})
    new = pa.table({"id": [1, 2], "v": ["1", "x"]})
    d = diff_tables(old, new, key="id")
    assert d.changed_by_column == {"v": 1}
    lists = pa.table({"id": [1, 2], "v": pa.array([[1], [2]])})
    d = diff_tables(old, lists, key="id")  # int vs list: no cast, every row differs
    assert d.changed_by_column == {"v": 2}


def test_nested_columns_are_compared_too() -> None:
    old = pa.table({"id": [1, 2], "tags": [["a"], ["b", "c"]], "m": [{"k": 1}, {"k": 2}]})
    new = pa.table({"id": [1, 2], "tags": [["a"], ["b"]], "m": [{"k": 1}, {"k": 2}]})
    d = diff_tables(old, new, key="id")
    assert d.changed_by_column == {"tags": 1}
    assert d.changed_examples[0].changes == {"tags": (["b", "c"], ["b"])}
    assert diff_tables(old, new).rows_added == 1


def test_empty_tables() -> None:
    empty = OLD.slice(0, 0)
    d = diff_tables(empty, OLD, key="id")
    assert (d.rows_added, d.rows_removed, d.rows_changed) == (4, 0, 0)
    d = diff_tables(OLD, empty)
    assert (d.rows_added, d.rows_removed) == (0, 4)
    assert diff_tables(empty, empty, key="id").is_empty


def test_a_million_rows_in_a_few_seconds() -> None:
    n = 1_000_000
    rng = np.random.default_rng(3)
    old = pa.table(
        {
            "id": np.arange(n),
            "x": rng.normal(size=n),
            "s": pa.array(rng.choice(["a", "b", "c"], n)),
            "name": pa.array(np.arange(n).astype(str)),
        }
    )
    x = old.column("x").to_numpy().copy()
    x[::100] += 1.0
    new = old.set_column(1, "x", pa.array(x)).slice(1000)
    timings = {}
    for key in (["id"], None):
        start = time.perf_counter()
        d = diff_tables(old, new, key=key)
        timings[str(key)] = time.perf_counter() - start
        assert d.rows_removed == (1000 if key else 1000 + 10_000 - 10)
    print("diff_tables 1M rows:", {k: f"{v:.2f}s" for k, v in timings.items()})
    d = diff_tables(old, new, key=["id"])
    assert d.rows_changed == 10_000 - 10 and d.changed_by_column == {"x": 9990}
    assert max(timings.values()) < 30
