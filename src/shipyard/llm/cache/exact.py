"""The exact cache: the same canonical request in the same scope gets the same answer.

A lookup is a dictionary hit in this process's memory, else one indexed
``SELECT`` on ``(scope, kind, request_hash)``. Entries expire after the
config's ``ttl_s`` (``None``: never).
"""

from __future__ import annotations

from shipyard.llm.cache.entries import CachedAnswer
from shipyard.llm.cache.local import local_state
from shipyard.store.sql.llm_cache import CacheRow, SqlLLMCache


def expiry(now: int, ttl_s: float | None) -> int | None:
    """When an entry written at ``now`` (ms) stops being served."""
    return None if ttl_s is None else now + int(ttl_s * 1000)


class ExactCache:
    def __init__(self, repo: SqlLLMCache, ttl_s: float | None) -> None:
        self.repo = repo
        self.ttl_s = ttl_s

    def get(self, scope: str, request_hash: str, now: int) -> CachedAnswer | None:
        """The live answer stored for this request in ``scope``, or ``None``."""
        state = local_state(self.repo)
        state.check(self.repo)
        key = ("exact", scope, request_hash)
        answer = state.answer(key, now)
        if answer is not None:
            return answer
        found = self.repo.find_exact(scope, request_hash, now)
        if found is None:
            return None
        text, expires_at = found
        answer = CachedAnswer.from_json(text)
        state.remember(key, answer, expires_at, size=len(text))
        return answer

    def row(
        self, scope: str, request_hash: str, answer: CachedAnswer, prompt_text: str, now: int
    ) -> CacheRow:
        """The row that stores ``answer``; insert it, then call ``remember``."""
        return CacheRow(
            scope=scope,
            kind="exact",
            request_hash=request_hash,
            prompt_text=prompt_text,
            response=answer.to_json(),
            created_at=now,
            expires_at=expiry(now, self.ttl_s),
        )

    def remember(self, row: CacheRow, answer: CachedAnswer) -> None:
        """Keep a just-stored answer in memory, so the next identical call skips SQL."""
        local_state(self.repo).remember(
            ("exact", row.scope, row.request_hash), answer, row.expires_at, size=len(row.response)
        )
