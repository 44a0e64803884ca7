"""One SQLAlchemy engine per store URL, with the settings each backend needs.

SQLite runs in WAL mode with a long busy timeout, and every write transaction
starts with ``BEGIN IMMEDIATE``: a deferred transaction that later tries to
write fails at once with "database is locked" instead of waiting, which is
what several processes logging into one file would otherwise hit.

Connections are pooled (opening a SQLite connection and setting its pragmas
costs more than a small insert). A forked child must not share its parent's
connections, so every pool is dropped, without closing the parent's sockets
or files, in the child right after ``fork``.
"""

from __future__ import annotations

import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from shipyard.core.errors import InvalidInput, StoreError

T = TypeVar("T")
_BUSY_TIMEOUT_MS = 60_000
_LOCKED_RETRIES = 8
_OPEN: weakref.WeakSet[Database] = weakref.WeakSet()


class Database:
    """An engine plus the read/write transaction discipline of its backend."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise InvalidInput(
                f"SHIPYARD_DB is not a database URL: {url!r} "
                "(expected e.g. sqlite:///path/shipyard.db or postgresql+psycopg://user@host/db)"
            ) from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        self.path: Path | None = None
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url)
            if parsed.database and parsed.database != ":memory:":
                self.path = Path(parsed.database)
        elif self.dialect == "postgresql":
            self.engine = _postgres_engine(url)
        else:
            raise InvalidInput(
                f"unsupported database {self.dialect!r}: shipyard stores metadata in "
                "SQLite or PostgreSQL"
            )
        _OPEN.add(self)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _translate(self), self.engine.connect() as conn, conn.begin():
            yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retried while another writer holds the lock."""
        for attempt in range(_LOCKED_RETRIES):
            try:
                with _translate(self), self.engine.connect() as conn:
                    conn.execution_options(shipyard_write=True)
                    with conn.begin():
                        return work(conn)
            except StoreError as exc:
                if not _is_locked(exc.__cause__) or attempt == _LOCKED_RETRIES - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        mode = cur.execute("PRAGMA journal_mode").fetchone()
        if mode and str(mode[0]).lower() != "wal":
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        # LIKE is case-sensitive on PostgreSQL; make it so here too (ILIKE is the other one).
        cur.execute("PRAGMA case_sensitive_like = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("shipyard_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: str) -> Engine:
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"PostgreSQL needs a driver: pip install 'shipyard[postgres]' ({exc})"
        ) from None


def _forget_pools_after_fork() -> None:
    for db in list(_OPEN):
        db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_after_fork)


def _is_locked(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()


@contextmanager
def _translate(db: Database) -> Iterator[None]:
    """Turn driver errors into one readable ``StoreError`` that names the store."""
    try:
        yield
    except OperationalError as exc:
        raise StoreError(f"cannot use the store at {_safe(db.url)}: {_first_line(exc)}") from exc
    except DBAPIError as exc:
        # SQLITE_NOTADB ("file is not a database") and SQLITE_CORRUPT ("database disk
        # image is malformed") both arrive as the bare DatabaseError class.
        if type(exc.orig) is sqlite3.DatabaseError and _is_corrupt(exc.orig):
            raise StoreError(
                f"{db.path} is not a SQLite database (corrupt or a different kind of file): "
                f"{_first_line(exc)}; move it away or point SHIPYARD_HOME elsewhere"
            ) from exc
        raise


def _is_corrupt(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
