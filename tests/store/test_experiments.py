"""Experiments on SQLite and PostgreSQL: create once, find by id or name, delete with runs."""

from __future__ import annotations

import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.store.records import MetricPoint
from shipyard.store.sql import SqlStore


def test_get_or_create_returns_the_same_experiment(store: SqlStore) -> None:
    first = store.experiments.get_or_create("churn")
    again = store.experiments.get_or_create("churn")
    assert again.id == first.id
    assert first.name == "churn"
    assert first.created_at > 0
    assert [e.name for e in store.experiments.list()] == ["churn"]


def test_get_by_id_and_by_name(store: SqlStore) -> None:
    exp = store.experiments.get_or_create("fraud")
    assert store.experiments.get(exp.id).name == "fraud"
    assert store.experiments.get(str(exp.id)).name == "fraud"
    assert store.experiments.get("fraud").id == exp.id


def test_name_that_looks_like_an_id_is_found_by_name(store: SqlStore) -> None:
    exp = store.experiments.get_or_create("2024")
    assert store.experiments.get("2024").id == exp.id


def test_not_found_suggests_a_close_name(store: SqlStore) -> None:
    store.experiments.get_or_create("credit-scoring")
    with pytest.raises(
        NotFound, match=r"no experiment 'credit-scorng'.*did you mean 'credit-scoring'"
    ):
        store.experiments.get("credit-scorng")


def test_not_found_without_close_names_has_no_hint(store: SqlStore) -> None:
    store.experiments.get_or_create("alpha")
    with pytest.raises(NotFound) as info:
        store.experiments.get("zzzzzz")
    assert "did you mean" not in info.value.message
    with pytest.raises(NotFound):
        store.experiments.get(987654)


def test_list_counts_runs_newest_first(store: SqlStore) -> None:
    a = store.experiments.get_or_create("a")
    store.experiments.get_or_create("b")
    store.runs.create(a.id, "r1")
    store.runs.create(a.id, "r2")
    listed = {e.name: e for e in store.experiments.list()}
    assert listed["a"].run_count == 2
    assert listed["b"].run_count == 0
    created = [e.created_at for e in store.experiments.list()]
    assert created == sorted(created, reverse=True)


def test_delete_cascades_to_runs_and_their_rows(store: SqlStore) -> None:
    exp = store.experiments.get_or_create("doomed")
    keep = store.experiments.get_or_create("kept")
    run = store.runs.create(exp.id, "r", params={"lr": 0.1}, tags={"t": "v"})
    child = store.runs.create(exp.id, "child", parent_id=run.id)
    store.run_data.log_batch(child.id, metrics=[MetricPoint("loss", 1.0, 0, 1)])
    kept_run = store.runs.create(keep.id, "survivor")

    store.experiments.delete(exp.id)

    with pytest.raises(NotFound):
        store.experiments.get("doomed")
    for gone in (run.id, child.id):
        with pytest.raises(NotFound):
            store.runs.get(gone)
    assert store.runs.get(kept_run.id).name == "survivor"
    assert [e.name for e in store.experiments.list()] == ["kept"]


def test_delete_unknown_experiment_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="no experiment with id 424242"):
        store.experiments.delete(424242)


def test_bad_names_are_refused(store: SqlStore) -> None:
    for bad in ("", "   ", "x" * 256, None):
        with pytest.raises(InvalidInput):
            store.experiments.get_or_create(bad)  # type: ignore[arg-type]
    assert store.experiments.list() == []


def test_unicode_names_round_trip(store: SqlStore) -> None:
    exp = store.experiments.get_or_create("точность 精度 🚀")
    assert store.experiments.get("точность 精度 🚀").id == exp.id
