"""Migrations: from empty to head on both backends, equal to ``tables.metadata``, and refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from shipyard.core.errors import StoreError
from shipyard.store import tables
from shipyard.store.migrations import HEAD, REVISIONS
from shipyard.store.sql import SqlStore

MIGRATIONS = Path(tables.__file__).parent / "migrations"


def _script_directory():  # type: ignore[no-untyped-def]
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def test_revisions_match_alembic_scripts() -> None:
    script = _script_directory()
    # walk_revisions goes head → base
    ordered = tuple(reversed([r.revision for r in script.walk_revisions()]))
    assert ordered == REVISIONS
    assert script.get_heads() == [HEAD]
    assert len(set(REVISIONS)) == len(REVISIONS)


def test_migrating_from_empty_matches_the_metadata(store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    SqlStore(store_url).close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
            )
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, tables.metadata)
            assert diff == [], diff
            names = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert names == set(tables.metadata.tables) | {"alembic_version"}


def test_reopening_a_current_store_is_a_no_op(store_url: str, tmp_path: Path) -> None:
    first = SqlStore(store_url)
    exp = first.experiments.get_or_create("kept")
    run = first.runs.create(exp.id, "r", params={"a": 1})
    first.close()

    before = sorted(p.name for p in tmp_path.iterdir())
    again = SqlStore(store_url)
    try:
        assert again.runs.get(run.id).params == {"a": 1}
        assert [e.name for e in again.experiments.list()] == ["kept"]
        with again.db.read() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [v[0] for v in versions] == [HEAD]
    finally:
        again.close()
    # no backup copy of an already-current SQLite file
    assert not [p for p in os.listdir(tmp_path) if ".backup-" in p]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_foreign_database_is_refused(store_url: str) -> None:
    _execute(store_url, "CREATE TABLE foo (x INTEGER)")
    with pytest.raises(StoreError, match=r"is not a shipyard store: it holds other tables \(foo\)"):
        SqlStore(store_url)


def test_newer_schema_is_refused(store_url: str) -> None:
    _execute(
        store_url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
        "INSERT INTO alembic_version VALUES ('9999')",
    )
    with pytest.raises(StoreError, match=r"written by a newer shipyard \(schema revision 9999\)"):
        SqlStore(store_url)


@pytest.mark.parametrize("size", [100, 5000, 65_536])
def test_corrupt_sqlite_file_is_a_readable_store_error(tmp_path: Path, size: int) -> None:
    path = tmp_path / "shipyard.db"
    path.write_bytes(os.urandom(size))
    with pytest.raises(StoreError) as info:
        SqlStore(f"sqlite:///{path}")
    message = info.value.message
    assert str(path) in message
    assert "not a SQLite database" in message
    assert "\n" not in message and "sqlalche.me" not in message


def test_truncated_sqlite_file_is_a_readable_store_error(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    SqlStore(f"sqlite:///{good}").close()
    bad = tmp_path / "shipyard.db"
    bad.write_bytes(good.read_bytes()[:50])  # a valid header, then nothing
    with pytest.raises(StoreError, match=r"not a SQLite database.*move it away"):
        SqlStore(f"sqlite:///{bad}")


def test_text_file_is_a_readable_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(StoreError, match="not a SQLite database"):
        SqlStore(f"sqlite:///{path}")


def test_store_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "shipyard.db"
    SqlStore(f"sqlite:///{path}").close()
    assert path.is_file()


def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot use the store at postgresql"):
        SqlStore("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "SHIPYARD_DB is not a database URL"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
    ],
)
def test_bad_urls_are_invalid_input(url: str, message: str) -> None:
    from shipyard.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match=message):
        SqlStore(url)


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with store.db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_threads_opening_new_stores_at_once_each_migrate(tmp_path: Path) -> None:
    """Alembic's context is process-global: without a lock, two threads' upgrades collide."""
    import threading

    from shipyard.store.sql import SqlStore

    errors: list[BaseException] = []

    def open_one(i: int) -> None:
        try:
            SqlStore(f"sqlite:///{tmp_path}/store{i}.db").close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
