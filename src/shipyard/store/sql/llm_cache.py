"""The SQL repository of cached LLM responses, exact and semantic.

Rows are immutable: an entry is inserted once and later deleted (expired or
cleared), never updated. Processes that keep entries in memory learn about
new rows from the largest id and about a clear from a *clear marker*: a row
of kind ``clear`` whose random token changes at every clear.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select

from shipyard.store.database import Database
from shipyard.store.tables import llm_cache

CLEAR_SCOPE = "~cleared"
"""The scope of the clear marker row; no model name starts with ``~``."""


@dataclass(frozen=True)
class CacheRow:
    """One entry to insert. ``response`` is the JSON the cache codec wrote."""

    scope: str
    kind: str  # exact | semantic
    request_hash: str
    prompt_text: str
    response: str
    created_at: int
    expires_at: int | None = None
    embedding: bytes | None = None
    """float32, normalized, for ``semantic`` rows."""


@dataclass(frozen=True)
class VectorRow:
    """A semantic entry without its response: what a process keeps in memory to search."""

    id: int
    scope: str
    request_hash: str
    embedding: bytes
    expires_at: int | None


@dataclass(frozen=True)
class CacheState:
    """What changed since a process last looked: the largest id and the clear token."""

    max_id: int
    clear_token: str | None


class SqlLLMCache:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, rows: Sequence[CacheRow]) -> None:
        """Store ``rows`` in one transaction."""
        if not rows:
            return
        values = [
            {
                "scope": r.scope,
                "kind": r.kind,
                "request_hash": r.request_hash,
                "prompt_text": r.prompt_text,
                "response": r.response,
                "created_at": r.created_at,
                "expires_at": r.expires_at,
                "embedding": r.embedding,
            }
            for r in rows
        ]

        def work(conn: Connection) -> None:
            conn.execute(insert(llm_cache), values)

        self.db.write(work)

    def find_exact(self, scope: str, request_hash: str, now: int) -> tuple[str, int | None] | None:
        """The newest live exact entry's (response, expires_at): one indexed lookup."""
        t = llm_cache
        stmt = (
            select(t.c.response, t.c.expires_at)
            .where(t.c.scope == scope, t.c.kind == "exact", t.c.request_hash == request_hash)
            .where(or_(t.c.expires_at.is_(None), t.c.expires_at > now))
            .order_by(t.c.id.desc())
            .limit(1)
        )
        with self.db.read() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else (row.response, row.expires_at)

    def response(self, entry_id: int, now: int) -> tuple[str, int | None] | None:
        """The (response, expires_at) of entry ``entry_id`` if it is still there and live."""
        t = llm_cache
        stmt = select(t.c.response, t.c.expires_at).where(
            t.c.id == entry_id, or_(t.c.expires_at.is_(None), t.c.expires_at > now)
        )
        with self.db.read() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else (row.response, row.expires_at)

    def vectors(
        self, scope: str, request_hash: str, *, up_to_id: int, now: int, after_id: int = 0
    ) -> list[VectorRow]:
        """The live semantic entries of one scope and params group with ids in ``(after_id, up_to_id]``."""
        t = llm_cache
        stmt = (
            select(t.c.id, t.c.scope, t.c.request_hash, t.c.embedding, t.c.expires_at)
            .where(t.c.scope == scope, t.c.kind == "semantic", t.c.request_hash == request_hash)
            .where(t.c.id > after_id, t.c.id <= up_to_id)
            .where(or_(t.c.expires_at.is_(None), t.c.expires_at > now))
            .order_by(t.c.id)
        )
        with self.db.read() as conn:
            return [_vector(r) for r in conn.execute(stmt)]

    def vectors_after(self, after_id: int, *, up_to_id: int) -> list[VectorRow]:
        """Semantic entries added since ``after_id`` (a range scan of the primary key)."""
        t = llm_cache
        stmt = (
            select(t.c.id, t.c.scope, t.c.request_hash, t.c.embedding, t.c.expires_at)
            .where(t.c.id > after_id, t.c.id <= up_to_id, t.c.kind == "semantic")
            .order_by(t.c.id)
        )
        with self.db.read() as conn:
            return [_vector(r) for r in conn.execute(stmt)]

    def state(self) -> CacheState:
        """The largest id and the current clear token, in one cheap round trip."""
        t = llm_cache
        token = (
            select(t.c.request_hash)
            .where(t.c.scope == CLEAR_SCOPE, t.c.kind == "clear")
            .order_by(t.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        stmt = select(select(func.max(t.c.id)).scalar_subquery(), token)
        with self.db.read() as conn:
            row = conn.execute(stmt).one()
        return CacheState(max_id=int(row[0] or 0), clear_token=row[1])

    def clear(self, scope: str | None, now: int) -> int:
        """Delete the entries of ``scope`` (``None``: all; a model name: its scopes); count them.

        Leaves a fresh clear marker so that other processes drop what they hold in memory.
        """
        t = llm_cache

        def work(conn: Connection) -> int:
            stmt = delete(t).where(t.c.kind.in_(("exact", "semantic")))
            if scope is not None:
                if "|" in scope:
                    stmt = stmt.where(t.c.scope == scope)
                else:
                    stmt = stmt.where(t.c.scope.like(_escape(scope) + "|%", escape="\\"))
            removed = conn.execute(stmt).rowcount or 0
            conn.execute(delete(t).where(t.c.scope == CLEAR_SCOPE))
            conn.execute(
                insert(t).values(
                    scope=CLEAR_SCOPE,
                    kind="clear",
                    request_hash=secrets.token_hex(16),
                    prompt_text="",
                    response=scope or "",
                    created_at=now,
                    expires_at=None,
                )
            )
            return int(removed)

        return self.db.write(work)

    def delete_expired(self, now: int) -> int:
        """Delete entries whose time ran out (the expiry index keeps it a range delete)."""
        t = llm_cache

        def work(conn: Connection) -> int:
            result = conn.execute(
                delete(t).where(t.c.expires_at.is_not(None), t.c.expires_at <= now)
            )
            return int(result.rowcount or 0)

        return self.db.write(work)

    def count(self, scope: str | None = None) -> int:
        """Entries held (``scope``: of that scope only); for ``shipyard`` status and tests."""
        t = llm_cache
        stmt = select(func.count()).select_from(t).where(t.c.kind.in_(("exact", "semantic")))
        if scope is not None:
            stmt = stmt.where(t.c.scope == scope)
        with self.db.read() as conn:
            return int(conn.execute(stmt).scalar_one())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _vector(row: Any) -> VectorRow:
    return VectorRow(
        id=int(row.id),
        scope=row.scope,
        request_hash=row.request_hash,
        embedding=bytes(row.embedding or b""),
        expires_at=row.expires_at,
    )
