"""Artifact rows and captured environments on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.store.records import ArtifactEntry
from shipyard.store.sql import SqlStore

D1, D2, D3 = "11" * 32, "22" * 32, "33" * 32


def test_add_and_list_sorted_by_path(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "r")
    store.artifacts.add(
        run.id,
        [ArtifactEntry("model/weights.bin", D1, 10), ArtifactEntry("a.txt", D2, 2)],
    )
    assert store.artifacts.list(run.id) == [
        ArtifactEntry("a.txt", D2, 2),
        ArtifactEntry("model/weights.bin", D1, 10),
    ]


def test_adding_a_path_again_replaces_it(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "r")
    store.artifacts.add(run.id, [ArtifactEntry("a.txt", D1, 1)])
    store.artifacts.add(run.id, [ArtifactEntry("a.txt", D2, 2)])
    assert store.artifacts.list(run.id) == [ArtifactEntry("a.txt", D2, 2)]


def test_paths_are_normalised(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "r")
    store.artifacts.add(run.id, [ArtifactEntry("dir//./file.txt", D1, 1)])
    assert [e.path for e in store.artifacts.list(run.id)] == ["dir/file.txt"]


ESCAPING = ["../../etc/passwd", "/etc/passwd", "a/../../b", "C:/x", "a\x00b", "", ".", "\\..\\x"]


def test_escaping_paths_are_refused(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "r")
    for bad in ESCAPING:
        with pytest.raises(InvalidInput):
            store.artifacts.add(run.id, [ArtifactEntry("ok.txt", D1, 1), ArtifactEntry(bad, D1, 1)])
    assert store.artifacts.list(run.id) == []


def test_unknown_run_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.artifacts.add("0" * 32, [ArtifactEntry("a", D1, 1)])
    with pytest.raises(NotFound):
        store.artifacts.list("0" * 32)


def test_referenced_digests_follow_rows(store: SqlStore, experiment_id: int) -> None:
    a = store.runs.create(experiment_id, "a")
    b = store.runs.create(experiment_id, "b")
    store.artifacts.add(a.id, [ArtifactEntry("x", D1, 1), ArtifactEntry("shared", D3, 3)])
    store.artifacts.add(b.id, [ArtifactEntry("y", D2, 2), ArtifactEntry("shared", D3, 3)])
    assert store.artifacts.referenced_digests() == {D1, D2, D3}
    store.runs.delete(a.id)
    assert store.artifacts.referenced_digests() == {D2, D3}
    store.runs.delete(b.id)
    assert store.artifacts.referenced_digests() == set()


def test_environments_are_stored_once(store: SqlStore) -> None:
    body = {"python": "3.11.9", "packages": {"numpy": "2.0"}, "git": None}
    d1 = store.environments.put(body)
    d2 = store.environments.put(dict(reversed(list(body.items()))))
    assert d1 == d2
    assert len(d1) == 64
    assert store.environments.get(d1) == body
    other = store.environments.put({**body, "python": "3.12.0"})
    assert other != d1
    from sqlalchemy import func, select

    from shipyard.store.tables import environments

    with store.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(environments)).scalar_one() == 2


def test_unknown_environment_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.environments.get("0" * 64)
