"""Captured environments, stored once per distinct content and shared by runs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from shipyard.core.digests import digest_bytes
from shipyard.core.errors import NotFound
from shipyard.store.database import Database
from shipyard.store.tables import environments


class SqlEnvironments:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, body: Mapping[str, Any]) -> str:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        digest = digest_bytes(text.encode())
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert

        def work(conn: Connection) -> None:
            conn.execute(
                insert(environments).values(digest=digest, body=text).on_conflict_do_nothing()
            )

        self.db.write(work)
        return digest

    def get(self, digest: str) -> dict[str, Any]:
        with self.db.read() as conn:
            body = conn.execute(
                select(environments.c.body).where(environments.c.digest == digest)
            ).scalar()
        if body is None:
            raise NotFound(f"no environment {digest[:12]}")
        result: dict[str, Any] = json.loads(body)
        return result
