"""The SQL repository of virtual keys of the gateway.

Rows go in and out as plain dicts (the columns of ``llm_keys``, with
``models`` as a list): the ``VirtualKey`` type belongs to ``shipyard.llm``,
a layer above the store. Only the SHA-256 of a secret is ever written; the
lookup by hash is one indexed SELECT (``key_hash`` is unique), done on every
request so that a revocation counts at once in every process; it is a plain
DBAPI statement, which costs a third of the same query through SQLAlchemy.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from shipyard.core.errors import NotFound
from shipyard.store.database import Database
from shipyard.store.tables import llm_keys

KeyRow = dict[str, Any]
_COLUMNS = [c.name for c in llm_keys.columns]
_BY_HASH = f"SELECT {', '.join(_COLUMNS)} FROM llm_keys WHERE key_hash = {{m}}"


class SqlLLMKeys:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._by_hash = _BY_HASH.format(m="%s" if db.dialect == "postgresql" else "?")

    def insert(self, row: Mapping[str, Any]) -> None:
        """Store a new key (its hash, never its secret)."""
        values = dict(row)
        values["models"] = json.dumps(list(values.get("models") or []))

        def work(conn: Connection) -> None:
            conn.execute(insert(llm_keys).values(**values))

        self.db.write(work)

    def by_hash(self, key_hash: str) -> KeyRow | None:
        """The key whose secret hashes to ``key_hash``, revoked or not; None if there is none."""
        with self.db.read() as conn:
            found = conn.exec_driver_sql(self._by_hash, (key_hash,)).first()
        return None if found is None else _row(found)

    def get(self, key_id: str) -> KeyRow | None:
        with self.db.read() as conn:
            found = conn.execute(select(llm_keys).where(llm_keys.c.id == key_id)).first()
        return None if found is None else _row(found)

    def find(self, id_or_prefix: str) -> builtins.list[KeyRow]:
        """Keys whose id, or whose secret's shown prefix, starts with ``id_or_prefix``."""
        pattern = _escape_like(id_or_prefix) + "%"
        stmt = (
            select(llm_keys)
            .where(
                or_(
                    llm_keys.c.id.like(pattern, escape="\\"),
                    llm_keys.c.prefix.like(pattern, escape="\\"),
                )
            )
            .order_by(llm_keys.c.created_at.desc(), llm_keys.c.id)
            .limit(20)
        )
        with self.db.read() as conn:
            return [_row(r) for r in conn.execute(stmt).all()]

    def list(
        self, project: str | None = None, *, include_revoked: bool = False
    ) -> builtins.list[KeyRow]:
        """Keys newest first, of one ``project`` or all; revoked ones only when asked."""
        stmt = select(llm_keys).order_by(llm_keys.c.created_at.desc(), llm_keys.c.id)
        if project is not None:
            stmt = stmt.where(llm_keys.c.project == project)
        if not include_revoked:
            stmt = stmt.where(llm_keys.c.revoked_at.is_(None))
        with self.db.read() as conn:
            return [_row(r) for r in conn.execute(stmt).all()]

    def revoke(self, key_id: str, at: int) -> KeyRow:
        """Mark the key revoked at ``at`` (kept if it already was) and return it."""

        def work(conn: Connection) -> Any:
            conn.execute(
                update(llm_keys)
                .where(llm_keys.c.id == key_id, llm_keys.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return conn.execute(select(llm_keys).where(llm_keys.c.id == key_id)).first()

        found = self.db.write(work)
        if found is None:
            raise NotFound(f"no virtual key {key_id!r}; see `shipyard keys list --all`")
        return _row(found)


def _row(row: Any) -> KeyRow:
    body = dict(row._mapping)
    body["models"] = json.loads(body["models"] or "[]")
    return body


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
