"""The semantic cache: a prompt close enough in meaning to a cached one gets its answer.

Entries are grouped by scope and by the hash of everything but the prompt
(model, params, embedder), so only prompts asked the same way are compared.
Each group a process searches is loaded once from SQL into a numpy matrix of
unit vectors (``groups``, which also bounds that memory); a lookup is one
matrix-vector product. Brute force: 10,000 entries of 64 dimensions take
~0.2 ms, 100,000 of 384 dimensions (150 MB) ~20 ms, so it is fine up to
~100k entries per group; past that an approximate index would be the next
step. The product is ``np.einsum``, not BLAS: between sporadic lookups
OpenBLAS's threads fall asleep, and waking them made a 10,000-entry search
take 12–16 ms instead of 0.2 on a busy machine.

Entries other processes write are picked up on the next lookup: each lookup
reads the table's largest id and clear token (one cheap query) and appends the
rows added since to the groups loaded here.

Concurrency: SQL runs without the process-wide lock, so lookups of one
process do not queue behind each other's round trips; the lock is taken only
to apply what SQL returned. Rows carry ascending ids and the table remembers
the id its groups are complete up to, so two refreshes racing apply each row
once, and a group loaded while a refresh ran catches up before it is kept.
A clear replaces the table; work begun on the old one lands there, unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.llm.cache.entries import CachedAnswer
from shipyard.llm.cache.exact import expiry
from shipyard.llm.cache.local import LocalState, local_state
from shipyard.store.sql.llm_cache import CacheRow, SqlLLMCache, VectorRow

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # pragma: no cover - numpy comes with the llm extra
    raise ImportError("the semantic cache needs numpy: pip install 'shipyard[llm]'") from exc

from shipyard.llm.cache.groups import (
    COMPACT_FRACTION,
    GroupKey,
    GroupTable,
    MemoryUse,
    VectorGroup,
)

Vector = npt.NDArray[np.float32]
_TOLERANCE = 1e-6
"""float32 rounding: a prompt compared with itself may score 0.99999994."""
_TRIES = 3


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
        table = self._refresh(state, now)
        key = (scope, group)
        loaded = self._group(state, table, key, int(vector.shape[0]), now)
        if loaded is None or loaded.dim != vector.shape[0]:
            return None
        ids, vectors, expires = loaded.snapshot()
        if not len(ids):
            return None
        live = expires > now
        dead = len(ids) - int(np.count_nonzero(live))
        if dead and dead >= max(1, int(len(ids) * COMPACT_FRACTION)):
            with state.lock:
                table.compact(key, loaded, now)
        scores = np.einsum("ij,j->i", vectors, vector)  # no BLAS threads (module doc)
        scores[~live] = -np.inf
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

    def memory(self) -> MemoryUse:
        """What this process holds in memory for the store's semantic entries."""
        state = local_state(self.repo)
        with state.lock:
            table = state.semantic
            return table.usage() if isinstance(table, GroupTable) else MemoryUse(0, 0, 0, 0)

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

    def _refresh(self, state: LocalState, now: int) -> GroupTable:
        """Bring the loaded groups up to date with SQL; the lock only around applying rows."""
        current = self.repo.state()
        state.observe(current)
        with state.lock:
            table = _table(state)
            if current.max_id < table.seen_id:
                table = state.semantic = GroupTable()  # rows went away (ids reused): reload lazily
            after = table.seen_id
            if current.max_id <= after:
                return table
            if not table.groups and not table.empty:
                table.seen_id = current.max_id  # nothing loaded to bring up to date
                return table
        rows = self.repo.vectors_after(after, up_to_id=current.max_id)
        with state.lock:
            table.apply(rows, current.max_id, now)
        return table

    def _group(
        self, state: LocalState, table: GroupTable, key: GroupKey, dim: int, now: int
    ) -> VectorGroup | None:
        """The loaded group of ``key``, loading it from SQL (outside the lock) on first use."""
        with state.lock:
            found = table.get(key)
            if found is not None or table.known_empty(key):
                return found
            upto = table.seen_id
        rows = self.repo.vectors(key[0], key[1], up_to_id=upto, now=now)
        for _ in range(_TRIES):
            with state.lock:
                found = table.get(key)
                if found is not None:
                    return found  # another thread loaded it meanwhile
                if table.seen_id == upto:
                    return _install(table, key, dim, rows, now)
                after, upto = upto, table.seen_id
            # a refresh advanced the table while SQL ran: fetch what it applied to the others
            rows += self.repo.vectors(key[0], key[1], after_id=after, up_to_id=upto, now=now)
        return _loose(dim, rows, now)  # kept racing refreshes: search it once, keep nothing

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
        state.remember(key, answer, expires_at, size=len(text))
        return answer


def _table(state: LocalState) -> GroupTable:
    """The state's group table (made on first use; a reset drops it). Called with the lock held."""
    table = state.semantic
    if not isinstance(table, GroupTable):
        table = state.semantic = GroupTable()
    return table


def _install(
    table: GroupTable, key: GroupKey, dim: int, rows: list[VectorRow], now: int
) -> VectorGroup | None:
    group = _loose(dim, rows, now)
    table.install(key, group)
    return group if group.n else None


def _loose(dim: int, rows: list[VectorRow], now: int) -> VectorGroup:
    group = VectorGroup(dim)
    group.add(rows, now)
    return group
