"""The SQL repository of virtual keys of the gateway."""

from __future__ import annotations

from shipyard.store.database import Database


class SqlLLMKeys:
    def __init__(self, db: Database) -> None:
        self.db = db
