"""The SQL repository of fixed-window counters for rate limits and budgets.

A counter is one row per (scope, window start). Increments are one atomic
upsert (``INSERT … ON CONFLICT DO UPDATE SET value = value + excluded.value
RETURNING value``), which SQLite (3.35+) and PostgreSQL both run as a single
statement, so two processes adding at once never lose an increment. The
counters of one request go in one multi-row statement: one round trip, one
lock and one commit.

These run on every request of a limited key, so they are plain DBAPI
statements: SQLAlchemy's statement machinery would cost 2–3× the query
itself here (about 150 µs against 60 µs on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete

from shipyard.store.database import Database
from shipyard.store.tables import llm_counters

Increment = tuple[str, int, int, float]
"""(scope, window_start, expires_at, amount)."""

_UPSERT = (
    "INSERT INTO llm_counters (scope, window_start, expires_at, value) VALUES {rows} "
    "ON CONFLICT (scope, window_start) DO UPDATE "
    "SET value = llm_counters.value + excluded.value RETURNING scope, window_start, value"
)
_SELECT = "SELECT scope, window_start, value FROM llm_counters WHERE "
_PAIR = "(scope = {m} AND window_start = {m})"


class SqlLLMCounters:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._postgres = db.dialect == "postgresql"
        self._mark = "%s" if self._postgres else "?"

    def add_many(self, increments: Sequence[Increment]) -> list[float]:
        """Add each amount to its counter in one statement; the new values, in order.

        Increments of one counter are summed first (one row may be upserted
        once per statement); each then sees the counter's value after all.
        """
        if not increments:
            return []
        merged: dict[tuple[str, int], list[Any]] = {}
        for scope, start, expires_at, amount in increments:
            row = merged.setdefault((scope, start), [scope, start, expires_at, 0.0])
            row[2] = max(row[2], expires_at)
            row[3] += amount
        placeholders = ", ".join(
            [f"({self._mark}, {self._mark}, {self._mark}, {self._mark})"] * len(merged)
        )
        sql = _UPSERT.format(rows=placeholders)
        params = tuple(part for row in merged.values() for part in row)

        def work(conn: Connection) -> dict[tuple[str, int], float]:
            if self._postgres:
                # a counter is not worth an fsync per request: a crash may lose the last
                # few milliseconds of increments, never corrupt them (about 1.5 ms saved)
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            return {(r[0], int(r[1])): float(r[2]) for r in conn.exec_driver_sql(sql, params)}

        found = self.db.write(work)
        return [found[(scope, int(start))] for scope, start, _, _ in increments]

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
