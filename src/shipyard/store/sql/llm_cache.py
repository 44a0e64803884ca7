"""The SQL repository of cached LLM responses, exact and semantic."""

from __future__ import annotations

from shipyard.store.database import Database


class SqlLLMCache:
    def __init__(self, db: Database) -> None:
        self.db = db
