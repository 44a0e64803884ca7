"""The SQL repository of traces, spans and LLM calls (tracing)."""

from __future__ import annotations

from shipyard.store.database import Database


class SqlTraces:
    def __init__(self, db: Database) -> None:
        self.db = db
