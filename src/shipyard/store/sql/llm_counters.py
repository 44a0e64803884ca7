"""The SQL repository of fixed-window counters for rate limits and budgets."""

from __future__ import annotations

from shipyard.store.database import Database


class SqlLLMCounters:
    def __init__(self, db: Database) -> None:
        self.db = db
