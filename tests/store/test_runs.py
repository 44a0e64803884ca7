"""Runs on SQLite and PostgreSQL: create, find by id or prefix, finish, delete."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, func, insert, select

from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.store import tables
from shipyard.store.records import ArtifactEntry, MetricPoint
from shipyard.store.sql import SqlStore

DIGEST = "ab" * 32


def test_create_and_get_by_full_id(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "first", tags={"team": "risk"}, params={"lr": 0.1})
    assert len(run.id) == 32
    assert run.status == "running"
    assert run.end_time is None
    assert run.duration_ms is None
    assert run.experiment == "exp"
    got = store.runs.get(run.id)
    assert got == run
    assert got.params == {"lr": 0.1}
    assert got.tags == {"team": "risk"}


def test_ids_are_32_hex_digits_and_unique(store: SqlStore, experiment_id: int) -> None:
    ids = {store.runs.create(experiment_id, f"r{i}").id for i in range(5)}
    assert len(ids) == 5
    assert all(len(i) == 32 and set(i) <= set("0123456789abcdef") for i in ids)


def _insert_run(store: SqlStore, experiment_id: int, run_id: str) -> None:
    """A run row with a chosen id: ids are random, so a shared prefix needs planting."""

    def work(conn: Connection) -> None:
        conn.execute(
            insert(tables.runs).values(
                id=run_id,
                experiment_id=experiment_id,
                name=run_id[:6],
                status="running",
                start_time=1,
            )
        )

    store.db.write(work)


def test_get_by_unique_prefix(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "r")
    assert store.runs.get(run.id[:8]).id == run.id
    # the last characters are random, so a prefix of 31 is unique too
    assert store.runs.get(run.id[:31]).id == run.id


def test_ambiguous_prefix_is_a_conflict(store: SqlStore, experiment_id: int) -> None:
    _insert_run(store, experiment_id, "abcd" + "0" * 27 + "1")
    _insert_run(store, experiment_id, "abcd" + "0" * 27 + "2")
    with pytest.raises(Conflict, match="matches several runs; give more characters"):
        store.runs.get("abcd")
    with pytest.raises(Conflict):
        store.runs.delete("abcd000")
    assert store.runs.get("abcd" + "0" * 27 + "2").name == "abcd00"
    assert store.runs.get("abcd" + "0" * 27 + "1").id.endswith("1")


def test_too_short_prefix_is_invalid(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "r")
    for prefix in (run.id[:1], run.id[:2], run.id[:3]):
        with pytest.raises(InvalidInput, match="too short; give at least 4 characters"):
            store.runs.get(prefix)


def test_unknown_or_malformed_ids_are_not_found(store: SqlStore) -> None:
    for bad in ("", "not-hex", "ZZZZ", "0" * 32, "f" * 8, "0" * 40):
        with pytest.raises(NotFound):
            store.runs.get(bad)


def test_create_in_unknown_experiment_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="no experiment"):
        store.runs.create(999_999, "r")


def test_create_with_unknown_parent_is_not_found(store: SqlStore, experiment_id: int) -> None:
    with pytest.raises(NotFound):
        store.runs.create(experiment_id, "r", parent_id="0" * 32)


def test_finish_sets_status_and_end_time(store: SqlStore, experiment_id: int) -> None:
    for status in ("finished", "failed", "killed"):
        run = store.runs.create(experiment_id, status)
        done = store.runs.finish(run.id, status)  # type: ignore[arg-type]
        assert done.status == status
        assert done.end_time is not None and done.end_time >= done.start_time
        assert done.duration_ms is not None and done.duration_ms >= 0
        assert store.runs.get(run.id).status == status


def test_finish_with_unknown_status_is_invalid(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "r")
    with pytest.raises(InvalidInput, match="unknown run status 'done'"):
        store.runs.finish(run.id, "done")  # type: ignore[arg-type]
    assert store.runs.get(run.id).status == "running"


def test_finish_unknown_run_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.runs.finish("0" * 32, "finished")


def _count(store: SqlStore, table: object, run_id: str) -> int:
    with store.db.read() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.run_id == run_id)  # type: ignore[attr-defined]
            ).scalar_one()
        )


def test_delete_cascades_to_children_and_every_row(store: SqlStore, experiment_id: int) -> None:
    parent = store.runs.create(experiment_id, "parent", params={"p": 1}, tags={"t": "x"})
    child = store.runs.create(experiment_id, "child", parent_id=parent.id, params={"c": 2})
    grandchild = store.runs.create(experiment_id, "grandchild", parent_id=child.id)
    other = store.runs.create(experiment_id, "other", params={"p": 1})
    for rid in (parent.id, child.id, grandchild.id, other.id):
        store.run_data.log_batch(
            rid, metrics=[MetricPoint("m", 1.0, 0, 1)], tags={"k": "v"}, params={"q": "z"}
        )
        store.artifacts.add(rid, [ArtifactEntry("model.bin", DIGEST, 3)])

    store.runs.delete(parent.id[:10])

    for gone in (parent, child, grandchild):
        with pytest.raises(NotFound):
            store.runs.get(gone.id)
        for table in (
            tables.metrics,
            tables.latest_metrics,
            tables.params,
            tables.tags,
            tables.artifacts,
        ):
            assert _count(store, table, gone.id) == 0, table
    assert store.runs.get(other.id).params == {"p": 1, "q": "z"}
    assert _count(store, tables.metrics, other.id) == 1
    assert store.artifacts.list(other.id) == [ArtifactEntry("model.bin", DIGEST, 3)]


def test_delete_unknown_run_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.runs.delete("0" * 32)


def test_bad_run_names_are_refused(store: SqlStore, experiment_id: int) -> None:
    for bad in ("", "  ", "n" * 256, None):
        with pytest.raises(InvalidInput):
            store.runs.create(experiment_id, bad)  # type: ignore[arg-type]
