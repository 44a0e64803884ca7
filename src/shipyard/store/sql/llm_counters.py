"""The SQL repository of fixed-window counters for rate limits and budgets.

A counter is one row per (scope, window start). Increments are one atomic
upsert (``INSERT … ON CONFLICT DO UPDATE SET value = value + excluded.value
RETURNING value``), which SQLite (3.35+) and PostgreSQL both run as a single
statement, so two processes adding at once never lose an increment. Several
increments go in one transaction: one lock and one commit per request.

These run on every request of a limited key, so they are plain DBAPI
statements: SQLAlchemy's statement machinery would cost 2–3× the query
itself here (about 150 µs against 60 µs on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete

from shipyard.store.database import Database
from shipyard.store.tables import llm_counters

Increment = tuple[str, int, int, float]
"""(scope, window_start, expires_at, amount)."""

_UPSERT = (
    "INSERT INTO llm_counters (scope, window_start, expires_at, value) VALUES ({m}, {m}, {m}, {m}) "
    "ON CONFLICT (scope, window_start) DO UPDATE "
    "SET value = llm_counters.value + excluded.value RETURNING value"
)
_SELECT = "SELECT scope, window_start, value FROM llm_counters WHERE "
_PAIR = "(scope = {m} AND window_start = {m})"


class SqlLLMCounters:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._mark = "%s" if db.dialect == "postgresql" else "?"
        self._upsert = _UPSERT.format(m=self._mark)

    def add_many(self, increments: Sequence[Increment]) -> list[float]:
        """Add each amount to its counter in one transaction; the new values, in order."""

        def work(conn: Connection) -> list[float]:
            return [
                float(conn.exec_driver_sql(self._upsert, inc).scalar_one()) for inc in increments
            ]

        return self.db.write(work)

    def get_many(self, windows: Sequence[tuple[str, int]]) -> list[float]:
        """The values of (scope, window_start) counters, 0 for one never added to."""
        if not windows:
            return []
        sql = _SELECT + " OR ".join([_PAIR.format(m=self._mark)] * len(windows))
        params = tuple(part for window in windows for part in window)
        with self.db.read() as conn:
            found = {(r[0], int(r[1])): float(r[2]) for r in conn.exec_driver_sql(sql, params)}
        return [found.get((scope, int(start)), 0.0) for scope, start in windows]

    def purge(self, before: int) -> int:
        """Delete counters whose window ended before ``before``; how many went."""

        def work(conn: Connection) -> int:
            done = conn.execute(delete(llm_counters).where(llm_counters.c.expires_at < before))
            return int(done.rowcount)

        return self.db.write(work)
