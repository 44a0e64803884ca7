"""Gates on aliases in the store (SQLite and PostgreSQL, and over REST): stored, recorded, enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import Forbidden, InvalidInput, NotFound
from shipyard.core.refs import parse_ref
from shipyard.store.asset_records import AssetFile
from shipyard.store.sql import SqlStore

POLICY = "name: release\ndata: dataset:d@1\nscorers: [accuracy]\nconditions:\n  - accuracy > 0.5\n"
OTHER = POLICY.replace("0.5", "0.6")
REF = parse_ref("model:m")


def _two_versions(store: SqlStore) -> None:
    for digest in ("a" * 64, "b" * 64):
        store.assets.register("model", "m", [AssetFile("model.bin", digest, 1)])


def test_a_gate_is_stored_replaced_and_removed(store: SqlStore) -> None:
    _two_versions(store)
    assert store.aliases.gate(REF, "production") is None
    gate = store.aliases.set_gate(REF, "production", POLICY, by="ana")
    assert gate is not None and (gate.alias, gate.policy, gate.updated_by) == (
        "production",
        POLICY,
        "ana",
    )
    assert store.aliases.gate(REF, "production") == POLICY
    assert store.aliases.gate(REF, "staging") is None
    # the same text again changes nothing and records nothing
    assert store.aliases.set_gate(REF, "production", POLICY, by="bo") == gate
    store.aliases.set_gate(REF, "production", OTHER, by="bo")
    store.aliases.set_gate(REF, "staging", POLICY)
    assert [(g.alias, g.policy) for g in store.aliases.gates(REF)] == [
        ("production", OTHER),
        ("staging", POLICY),
    ]
    assert store.aliases.set_gate(REF, "production", None, by="cy") is None
    assert store.aliases.gate(REF, "production") is None
    with pytest.raises(NotFound, match="has no gate"):
        store.aliases.set_gate(REF, "production", None)

    notes = [(m.evidence or "", m.moved_by) for m in store.aliases.history(REF, "production")]
    assert [n.split(" (")[0] for n, _ in notes] == ["gate removed", "gate changed", "gate set"]
    assert [by for _, by in notes] == ["cy", "bo", "ana"]
    assert "policy sha256:" in notes[2][0]


def test_a_gated_alias_is_protected_even_before_it_exists(store: SqlStore) -> None:
    _two_versions(store)
    store.aliases.set_gate(REF, "production", POLICY)
    with pytest.raises(Forbidden, match=r"has a gate.*shipyard assets promote model:m@1"):
        store.aliases.move(REF.at(1), "production")
    assert [a.alias for a in store.aliases.list(REF)] == []
    first = store.aliases.move(REF.at(1), "production", authorized=True, evidence="{}")
    assert (first.from_version, first.to_version, first.evidence) == (None, 1, "{}")
    with pytest.raises(Forbidden, match="has a gate"):
        store.aliases.move(REF.at(2), "production")
    assert store.assets.resolve("model:m@production").version == 1
    # other aliases are not affected; a removed gate frees the alias again
    store.aliases.move(REF.at(2), "staging")
    store.aliases.set_gate(REF, "production", None)
    assert store.aliases.move(REF.at(2), "production").to_version == 2
    # a gate change on an existing alias is noted at its version
    store.aliases.set_gate(REF, "production", POLICY)
    note = store.aliases.history(REF, "production")[0]
    assert (note.from_version, note.to_version) == (2, 2)


def test_gate_refusals(store: SqlStore) -> None:
    _two_versions(store)
    with pytest.raises(InvalidInput, match="cannot be moved"):
        store.aliases.set_gate(REF, "latest", POLICY)
    with pytest.raises(InvalidInput, match="YAML text"):
        store.aliases.set_gate(REF, "production", "  ")
    with pytest.raises(NotFound, match="no model named"):
        store.aliases.set_gate(parse_ref("model:nothing"), "production", POLICY)


def test_deleting_the_asset_deletes_its_gates(store: SqlStore) -> None:
    _two_versions(store)
    store.aliases.set_gate(REF, "production", POLICY)
    store.assets.delete("model:m", whole_asset=True)
    store.assets.register("model", "m", [])
    assert store.aliases.gates(REF) == []
    store.aliases.move(REF.at(1), "production")  # a new asset of that name is not gated


def test_an_old_store_gains_the_gates_table(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    import shipyard.store.migrate as migrate
    from shipyard.store.database import Database

    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}")
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrate.__file__).parent / "migrations"))
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        conn.commit()
    db.dispose()
    store = SqlStore(f"sqlite:///{path}")
    try:
        store.assets.register("model", "m", [])
        store.aliases.set_gate(REF, "production", POLICY)
        assert store.aliases.gate(REF, "production") == POLICY
    finally:
        store.close()


def test_gates_over_rest(live_server) -> None:  # type: ignore[no-untyped-def]
    from shipyard.core.http import ApiClient
    from shipyard.store.remote import RemoteStore

    api = ApiClient(live_server.url)
    try:
        store = RemoteStore(api)
        store.assets.register("model", "m", [])
        gate = store.aliases.set_gate(REF, "production", POLICY, by="ana")
        assert gate is not None and gate.updated_by == "ana"
        assert store.aliases.gate(REF, "production") == POLICY
        assert [g.alias for g in store.aliases.gates(REF)] == ["production"]
        with pytest.raises(Forbidden, match="has a gate"):
            store.aliases.move(REF.at(1), "production")
        # the server checks a policy before storing it
        with pytest.raises(InvalidInput, match="unknown metric 'bleu'"):
            store.aliases.set_gate(REF, "staging", POLICY.replace("accuracy > 0.5", "bleu > 1"))
        assert store.aliases.set_gate(REF, "production", None) is None
        assert live_server.workspace.store.aliases.gates(REF) == []
    finally:
        api.close()
