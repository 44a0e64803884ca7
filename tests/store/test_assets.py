"""The asset registry in the store: versions, dedupe, references, aliases, lineage (both backends)."""

from __future__ import annotations

import itertools

import pytest

from shipyard.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shipyard.core.refs import parse_ref
from shipyard.store.asset_records import AssetFile
from shipyard.store.sql import SqlStore

A = AssetFile("data.parquet", "a" * 64, 10)
B = AssetFile("data.parquet", "b" * 64, 12)


def test_versions_are_numbered_and_identical_content_is_not_a_new_version(store: SqlStore) -> None:
    v1, created1 = store.assets.register("dataset", "credit", [A], {"rows": 3})
    again, created_again = store.assets.register("dataset", "credit", [A], {"rows": 3})
    v2, created2 = store.assets.register("dataset", "credit", [B], {"rows": 4})
    assert (v1.version, created1) == (1, True)
    assert (again.version, created_again) == (1, False)
    assert (v2.version, created2) == (2, True)
    assert v2.metadata == {"rows": 4}
    assert v1.digest != v2.digest
    # Reverting to old content is a new version, so "latest" means what it says.
    v3, created3 = store.assets.register("dataset", "credit", [A])
    assert (v3.version, created3) == (3, True) and v3.digest == v1.digest


def test_references_resolve_by_number_alias_and_latest(store: SqlStore) -> None:
    store.assets.register("model", "churn", [A])
    store.assets.register("model", "churn", [B])
    assert store.assets.resolve("model:churn@1").version == 1
    assert store.assets.resolve("model:churn").version == 2
    assert store.assets.resolve("model:churn@latest").version == 2
    store.aliases.move(parse_ref("model:churn@1"), "production")
    resolved = store.assets.resolve("model:churn@production")
    assert resolved.version == 1 and resolved.aliases == ("production",)
    assert [f.path for f in store.assets.files("model:churn@production")] == ["data.parquet"]


def test_unknown_names_suggest_the_closest(store: SqlStore) -> None:
    store.assets.register("dataset", "credit-scores", [A])
    with pytest.raises(NotFound, match="closest: 'credit-scores'"):
        store.assets.resolve("dataset:credit-score@1")
    with pytest.raises(NotFound, match="no version 7 \\(latest is 1\\)"):
        store.assets.resolve("dataset:credit-scores@7")
    with pytest.raises(NotFound, match="no alias 'prod'"):
        store.assets.resolve("dataset:credit-scores@prod")
    with pytest.raises(InvalidInput, match="did you mean 'dataset'"):
        store.assets.resolve("datset:credit-scores")


def test_listing_shows_latest_versions_and_aliases(store: SqlStore) -> None:
    store.assets.register("dataset", "b", [A])
    store.assets.register("model", "a", [A])
    store.assets.register("model", "a", [B])
    store.aliases.move(parse_ref("model:a@2"), "staging")
    listed = {(a.kind, a.name): a for a in store.assets.list()}
    assert listed["model", "a"].latest_version == 2
    assert listed["model", "a"].version_count == 2
    assert listed["model", "a"].aliases == {"staging": 2}
    assert [a.name for a in store.assets.list("dataset")] == ["b"]
    assert [v.version for v in store.assets.versions("model", "a")] == [2, 1]


def test_alias_moves_are_recorded(store: SqlStore) -> None:
    for f in (A, B):
        store.assets.register("model", "m", [f])
    ref = parse_ref("model:m")
    store.aliases.move(ref.at(1), "production", moved_by="ana")
    move = store.aliases.move(ref.at(2), "production", moved_by="bo", evidence="f1 0.91")
    assert (move.from_version, move.to_version) == (1, 2)
    history = store.aliases.history(ref, "production")
    assert [(m.from_version, m.to_version, m.moved_by) for m in history] == [
        (1, 2, "bo"),
        (None, 1, "ana"),
    ]
    assert history[0].evidence == "f1 0.91"
    with pytest.raises(InvalidInput, match="latest"):
        store.aliases.move(ref.at(1), "latest")


def test_protected_aliases_move_only_with_a_passing_check(store: SqlStore) -> None:
    for f in (A, B):
        store.assets.register("model", "m", [f])
    ref = parse_ref("model:m")
    store.aliases.move(ref.at(1), "production")
    store.aliases.protect(ref, "production")
    with pytest.raises(Forbidden, match="protected"):
        store.aliases.move(ref.at(2), "production")
    with pytest.raises(Forbidden, match="protected"):
        store.aliases.delete(ref, "production")
    assert store.assets.resolve("model:m@production").version == 1
    move = store.aliases.move(ref.at(2), "production", authorized=True, evidence="gate passed")
    assert move.to_version == 2
    assert [a.protected for a in store.aliases.list(ref)] == [True]


def test_a_version_an_alias_points_at_cannot_be_deleted(store: SqlStore) -> None:
    store.assets.register("model", "m", [A])
    store.assets.register("model", "m", [B])
    store.aliases.move(parse_ref("model:m@1"), "production")
    with pytest.raises(Conflict, match="production"):
        store.assets.delete("model:m@1")
    store.assets.delete("model:m@2")
    assert [v.version for v in store.assets.versions("model", "m")] == [1]
    store.assets.delete("model:m", whole_asset=True)
    assert store.assets.list() == []
    assert store.assets.referenced_digests() == set()


def test_lineage_edges(store: SqlStore, experiment_id: int) -> None:
    run = store.runs.create(experiment_id, "train")
    store.assets.register("dataset", "raw", [A])
    store.assets.register("dataset", "clean", [B], derived_from=["dataset:raw@1"])
    store.lineage.record("consumed", "dataset:clean@1", run_id=run.id)
    store.assets.register("model", "m", [A], run_id=run.id)
    edges = store.lineage.edges(runs=[run.id])
    assert {(e.relation, e.version) for e in edges} == {
        ("consumed", "dataset:clean@1"),
        ("produced", "model:m@1"),
    }
    derived = store.lineage.edges(versions=["dataset:clean@1"])
    assert any(e.relation == "derived_from" and e.source == "dataset:raw@1" for e in derived)
    with pytest.raises(InvalidInput):
        store.lineage.record("consumed", "dataset:clean@1")
    # Deleting the run removes its edges but keeps the versions it produced.
    store.runs.delete(run.id)
    assert store.lineage.edges(runs=[run.id]) == []
    assert store.assets.resolve("model:m@1").run_id is None


def test_packed_files_count_as_references(store: SqlStore) -> None:
    packed = AssetFile("small/a.txt", "c" * 64, 5, pack_digest="d" * 64, pack_offset=128)
    store.assets.register("dataset", "folder", [packed, A])
    assert store.assets.referenced_digests() == {"a" * 64, "c" * 64, "d" * 64}
    (got,) = [f for f in store.assets.files("dataset:folder") if f.path == "small/a.txt"]
    assert (got.pack_digest, got.pack_offset) == ("d" * 64, 128)


def test_bad_paths_are_refused(store: SqlStore) -> None:
    with pytest.raises(InvalidInput, match=r"\.\."):
        store.assets.register("dataset", "x", [AssetFile("../../etc/passwd", "a" * 64, 1)])


def test_concurrent_alias_moves_are_serialized(store_url: str) -> None:
    """Two clients moving one alias at once: every move lands, in one order, and history tells it."""
    import threading

    setup = SqlStore(store_url)
    for i in range(3):
        setup.assets.register("model", "m", [AssetFile("f", f"{i}" * 64, 1)])
    setup.close()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def client(version: int) -> None:
        s = SqlStore(store_url)  # each client has its own connections
        try:
            barrier.wait()
            for _ in range(10):
                s.aliases.move(
                    parse_ref(f"model:m@{version}"), "production", moved_by=f"c{version}"
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=client, args=(v,)) for v in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    check = SqlStore(store_url)
    history = list(reversed(check.aliases.history(parse_ref("model:m"), "production")))
    assert len(history) == 20
    assert history[0].from_version is None
    for before, after in itertools.pairwise(history):
        assert after.from_version == before.to_version, "each move starts where the last ended"
    assert check.assets.resolve("model:m@production").version == history[-1].to_version
    check.close()
