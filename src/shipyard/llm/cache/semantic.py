"""The semantic cache: a prompt close enough in meaning to a cached one gets its answer.

Entries are grouped by scope and by the hash of everything but the prompt
(model, params, embedder), so only prompts asked the same way are compared.
Each group a process searches is loaded once from SQL into a numpy matrix of
unit vectors; a lookup is one matrix-vector product. Brute force: 10,000
entries of 64 dimensions take ~0.2 ms, 100,000 of 384 dimensions (150 MB)
~20 ms, so it is fine up to ~100k entries per group; past that an
approximate index would be the next step. The product is ``np.einsum``, not
BLAS: between sporadic lookups OpenBLAS's threads fall asleep, and waking them
made a 10,000-entry search take 12–16 ms instead of 0.2 on a busy machine.

Entries other processes write are picked up on the next lookup: each lookup
reads the table's largest id and clear token (one cheap query) and appends the
rows added since to the groups loaded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.llm.cache.entries import CachedAnswer
from shipyard.llm.cache.exact import expiry
from shipyard.llm.cache.local import LocalState, local_state
from shipyard.store.sql.llm_cache import CacheRow, SqlLLMCache, VectorRow

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # pragma: no cover - numpy comes with the llm extra
    raise ImportError("the semantic cache needs numpy: pip install 'shipyard[llm]'") from exc

Vector = npt.NDArray[np.float32]
NO_EXPIRY = np.iinfo(np.int64).max
_TOLERANCE = 1e-6
"""float32 rounding: a prompt compared with itself may score 0.99999994."""
_TRIES = 3


class _Group:
    """The unit vectors of one (scope, params hash), grown by doubling like a list."""

    def __init__(self, dim: int, capacity: int = 64) -> None:
        self.dim = dim
        self.n = 0
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.vectors = np.zeros((capacity, dim), dtype=np.float32)
        self.expires = np.zeros(capacity, dtype=np.int64)

    def add(self, rows: list[VectorRow]) -> None:
        for row in rows:
            vector = np.frombuffer(row.embedding, dtype=np.float32)
            if vector.shape != (self.dim,):
                continue  # written by another embedder size; not comparable
            if self.n == len(self.ids):
                self._grow()
            self.ids[self.n] = row.id
            self.vectors[self.n] = vector
            self.expires[self.n] = NO_EXPIRY if row.expires_at is None else row.expires_at
            self.n += 1

    def _grow(self) -> None:
        capacity = 2 * len(self.ids)
        ids = np.zeros(capacity, dtype=np.int64)
        vectors = np.zeros((capacity, self.dim), dtype=np.float32)
        expires = np.zeros(capacity, dtype=np.int64)
        ids[: self.n] = self.ids[: self.n]
        vectors[: self.n] = self.vectors[: self.n]
        expires[: self.n] = self.expires[: self.n]
        self.ids, self.vectors, self.expires = ids, vectors, expires

    def snapshot(self) -> tuple[Any, Any, Any]:
        """Views of the filled part; appends never write into them, so no lock is needed to read."""
        n = self.n
        return self.ids[:n], self.vectors[:n], self.expires[:n]


@dataclass(frozen=True)
class SemanticHit:
    answer: CachedAnswer
    similarity: float
    entry_id: int


class SemanticCache:
    def __init__(self, repo: SqlLLMCache, threshold: float, ttl_s: float | None) -> None:
        self.repo = repo
        self.threshold = threshold
        self.ttl_s = ttl_s

    def search(self, scope: str, group: str, vector: Vector, now: int) -> SemanticHit | None:
        """The most similar live entry of the group at or above the threshold, or ``None``."""
        state = local_state(self.repo)
        with state.lock:
            self._refresh(state)
            loaded = state.groups.get((scope, group))
            if loaded is None:
                loaded = _Group(int(vector.shape[0]))
                loaded.add(self.repo.vectors(scope, group, up_to_id=state.seen_id, now=now))
                state.groups[(scope, group)] = loaded
        if loaded.dim != vector.shape[0]:
            return None
        ids, vectors, expires = loaded.snapshot()
        if not len(ids):
            return None
        scores = np.einsum("ij,j->i", vectors, vector)  # no BLAS threads (module doc)
        scores[expires <= now] = -np.inf
        for _ in range(_TRIES):
            best = int(np.argmax(scores))
            similarity = float(scores[best])
            if similarity < self.threshold - _TOLERANCE:
                return None
            entry_id = int(ids[best])
            answer = self._answer(state, entry_id, now)
            if answer is not None:
                return SemanticHit(answer, min(similarity, 1.0), entry_id)
            expires[best] = 0  # cleared or expired in SQL: never a candidate again here
            scores[best] = -np.inf
        return None

    def row(
        self,
        scope: str,
        group: str,
        vector: Vector,
        answer: CachedAnswer,
        prompt_text: str,
        now: int,
    ) -> CacheRow:
        """The row that stores ``answer`` under ``vector``; the next lookup loads it."""
        return CacheRow(
            scope=scope,
            kind="semantic",
            request_hash=group,
            prompt_text=prompt_text,
            response=answer.to_json(),
            created_at=now,
            expires_at=expiry(now, self.ttl_s),
            embedding=np.ascontiguousarray(vector, dtype=np.float32).tobytes(),
        )

    def _refresh(self, state: LocalState) -> None:
        """Bring the loaded groups up to date with SQL (called with the state's lock held)."""
        current = self.repo.state()
        state.observe(current)
        if current.max_id <= state.seen_id:
            return
        if state.groups:
            for row in self.repo.vectors_after(state.seen_id, up_to_id=current.max_id):
                loaded = state.groups.get((row.scope, row.request_hash))
                if loaded is not None:
                    loaded.add([row])
        state.seen_id = current.max_id

    def _answer(self, state: LocalState, entry_id: int, now: int) -> CachedAnswer | None:
        key = ("semantic", entry_id)
        answer = state.answer(key, now)
        if answer is not None:
            return answer
        found = self.repo.response(entry_id, now)
        if found is None:
            return None
        text, expires_at = found
        answer = CachedAnswer.from_json(text)
        state.remember(key, answer, expires_at)
        return answer
