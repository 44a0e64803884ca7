"""A store written by an older shipyard is upgraded on open, after a backup, with its data intact."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import shipyard.store.migrate as migrate
from shipyard.store.database import Database
from shipyard.store.migrations import HEAD, REVISIONS
from shipyard.store.sql import SqlStore


def _migrate_to(db: Database, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrate.__file__).parent / "migrations"))
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def test_every_older_revision_upgrades_to_head_keeping_data(tmp_path: Path) -> None:
    for old in REVISIONS[:-1]:
        path = tmp_path / f"old-{old}.db"
        db = Database(f"sqlite:///{path}")
        _migrate_to(db, old)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO experiments (name, created_at) VALUES ('kept', 1)")
        db.dispose()

        store = SqlStore(f"sqlite:///{path}")
        assert [e.name for e in store.experiments.list()] == ["kept"]
        assert store.assets.list() == []  # the registry tables exist now
        with store.db.read() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
        store.close()
        backups = list(tmp_path.glob(f"old-{old}.db.backup-{old}-*"))
        assert len(backups) == 1, "a copy of the old file is kept before upgrading"


def test_postgres_upgrades_from_the_first_revision(postgres_url: str) -> None:
    db = Database(postgres_url)
    _migrate_to(db, REVISIONS[0])
    db.dispose()
    store = SqlStore(postgres_url)
    store.assets.register("prompt", "p", [])
    assert [a.name for a in store.assets.list()] == ["p"]
    store.close()
