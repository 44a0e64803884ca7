"""Bring a store's schema to the head revision when it is opened.

Reading the current revision is one cheap query; Alembic is imported only
when there is something to upgrade. Concurrent openers serialize on a lock
(a file lock for SQLite, an advisory lock for PostgreSQL) so eight processes
opening a new store at once migrate it exactly once. Before upgrading a SQLite
file that already holds data, a copy is kept beside it.
"""

from __future__ import annotations

import fcntl
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from shipyard.core.clock import now_ms
from shipyard.core.errors import StoreError
from shipyard.store.database import Database
from shipyard.store.migrations import HEAD, REVISIONS

_PG_LOCK_KEY = 0x5348_4950  # "SHIP"
_ALEMBIC = threading.Lock()
"""Alembic's ``context`` is global to the process: two threads migrating two stores collide."""


def ensure_schema(db: Database) -> None:
    """Upgrade ``db`` to ``HEAD``; refuse foreign or newer databases with a clear error."""
    with db.read() as conn:
        current = _current_revision(conn)
    if current == HEAD:
        return
    with _migration_lock(db):
        with db.read() as conn:
            current = _current_revision(conn)
            _check_known(db, conn, current)
        if current == HEAD:
            return
        if current is not None and db.path is not None:
            _backup(db.path, current)
        _upgrade(db)


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _check_known(db: Database, conn: Connection, current: str | None) -> None:
    where = db.path or "the database"
    if current is None:
        foreign = sorted(inspect(conn).get_table_names())
        if foreign:
            shown = ", ".join(foreign[:5]) + ("…" if len(foreign) > 5 else "")
            raise StoreError(
                f"{where} is not a shipyard store: it holds other tables ({shown}); "
                "point SHIPYARD_DB or SHIPYARD_HOME at an empty or shipyard database"
            )
    elif current not in REVISIONS:
        raise StoreError(
            f"{where} was written by a newer shipyard (schema revision {current}); "
            "upgrade shipyard to open it"
        )


def _backup(path: Path, revision: str) -> None:
    target = path.with_name(f"{path.name}.backup-{revision}-{now_ms()}")
    shutil.copy2(path, target)


def _upgrade(db: Database) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with _ALEMBIC, db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


@contextmanager
def _migration_lock(db: Database) -> Iterator[None]:
    if db.path is not None:
        db.path.parent.mkdir(parents=True, exist_ok=True)
        with open(db.path.with_name(db.path.name + ".migrate-lock"), "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    elif db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
    else:
        yield
