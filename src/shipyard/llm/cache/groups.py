"""What one process keeps of the semantic cache: unit vectors per (scope, params hash), bounded.

A group is every semantic entry asked the same way (scope, model, params,
embedder). A client may vary ``seed``, ``temperature`` or ``max_tokens`` per
request, so the number of distinct groups a process sees is unbounded, and
most of them have no entry at all. Memory stays bounded because:

- a group whose SQL query found nothing is not kept: its key goes into a
  bounded set of known-empty groups (two short strings), which a new row for
  that group removes, so the next lookup loads it;
- a group starts with room for a few vectors and doubles as it grows;
- at most ``MAX_GROUPS`` groups are kept, the least recently searched
  dropped first (a later lookup reloads it from SQL);
- expired vectors are dropped once a quarter of a group has expired, and a
  group with nothing live left is dropped.

The table is not thread-safe by itself: callers hold the local state's lock
while they change it, never across SQL.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from shipyard.store.sql.llm_cache import VectorRow

NO_EXPIRY = np.iinfo(np.int64).max
INITIAL_CAPACITY = 4
MAX_GROUPS = 1000
MAX_EMPTY = 10_000
COMPACT_FRACTION = 0.25
"""Share of a group's vectors found expired at a lookup that makes it drop them."""

GroupKey = tuple[str, str]


class VectorGroup:
    """The unit vectors of one group, grown by doubling like a list, in ascending id order."""

    def __init__(self, dim: int, capacity: int = INITIAL_CAPACITY) -> None:
        self.dim = dim
        self.n = 0
        self.last_id = 0
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.vectors = np.zeros((capacity, dim), dtype=np.float32)
        self.expires = np.zeros(capacity, dtype=np.int64)

    def add(self, rows: Iterable[VectorRow], now: int) -> None:
        """Append live rows not held yet (ids at or below the last one held are duplicates)."""
        for row in rows:
            if row.id <= self.last_id or (row.expires_at is not None and row.expires_at <= now):
                continue
            vector = np.frombuffer(row.embedding, dtype=np.float32)
            if vector.shape != (self.dim,):
                continue  # written by another embedder size; not comparable
            if self.n == len(self.ids):
                self._resize(max(INITIAL_CAPACITY, 2 * len(self.ids)))
            self.ids[self.n] = row.id
            self.vectors[self.n] = vector
            self.expires[self.n] = NO_EXPIRY if row.expires_at is None else row.expires_at
            self.n += 1
            self.last_id = row.id

    def snapshot(self) -> tuple[Any, Any, Any]:
        """Views of the filled part; appends and compaction never write into them, so no lock is needed to read."""
        n = self.n
        return self.ids[:n], self.vectors[:n], self.expires[:n]

    def compact(self, now: int) -> int:
        """Drop expired vectors into fresh arrays (readers keep their snapshots); return how many went."""
        live = self.expires[: self.n] > now
        kept = int(np.count_nonzero(live))
        removed = self.n - kept
        if removed:
            capacity = max(INITIAL_CAPACITY, 1 << max(kept - 1, 0).bit_length())
            ids, vectors, expires = (
                self.ids[: self.n],
                self.vectors[: self.n],
                self.expires[: self.n],
            )
            self.ids = np.zeros(capacity, dtype=np.int64)
            self.vectors = np.zeros((capacity, self.dim), dtype=np.float32)
            self.expires = np.zeros(capacity, dtype=np.int64)
            self.ids[:kept], self.vectors[:kept], self.expires[:kept] = (
                ids[live],
                vectors[live],
                expires[live],
            )
            self.n = kept
        return removed

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.vectors.nbytes + self.expires.nbytes)

    def _resize(self, capacity: int) -> None:
        ids = np.zeros(capacity, dtype=np.int64)
        vectors = np.zeros((capacity, self.dim), dtype=np.float32)
        expires = np.zeros(capacity, dtype=np.int64)
        ids[: self.n] = self.ids[: self.n]
        vectors[: self.n] = self.vectors[: self.n]
        expires[: self.n] = self.expires[: self.n]
        self.ids, self.vectors, self.expires = ids, vectors, expires


@dataclass(frozen=True)
class MemoryUse:
    """What the semantic memory of one store holds in this process (for tests and status)."""

    groups: int
    empty_groups: int
    vectors: int
    nbytes: int


class GroupTable:
    """The groups loaded for one store, LRU-bounded, and the SQL id they are complete up to."""

    def __init__(self, max_groups: int = MAX_GROUPS, max_empty: int = MAX_EMPTY) -> None:
        self.max_groups = max_groups
        self.max_empty = max_empty
        self.groups: OrderedDict[GroupKey, VectorGroup] = OrderedDict()
        self.empty: OrderedDict[GroupKey, None] = OrderedDict()
        self.seen_id = 0
        """Semantic rows up to this id are in the loaded groups."""

    def get(self, key: GroupKey) -> VectorGroup | None:
        found = self.groups.get(key)
        if found is not None:
            self.groups.move_to_end(key)
        return found

    def known_empty(self, key: GroupKey) -> bool:
        if key not in self.empty:
            return False
        self.empty.move_to_end(key)
        return True

    def install(self, key: GroupKey, group: VectorGroup) -> None:
        """Keep ``group`` (if it holds anything; else remember the key as empty), evicting the LRU."""
        if group.n == 0:
            self.groups.pop(key, None)
            self.empty[key] = None
            self.empty.move_to_end(key)
            while len(self.empty) > self.max_empty:
                self.empty.popitem(last=False)
            return
        self.empty.pop(key, None)
        self.groups[key] = group
        self.groups.move_to_end(key)
        while len(self.groups) > self.max_groups:
            self.groups.popitem(last=False)

    def apply(self, rows: Iterable[VectorRow], up_to_id: int, now: int) -> None:
        """Append rows up to ``up_to_id`` to their loaded groups; rows at or below ``seen_id`` are already in."""
        for row in rows:
            if row.id <= self.seen_id:
                continue  # a concurrent refresh applied it
            key = (row.scope, row.request_hash)
            group = self.groups.get(key)
            if group is not None:
                group.add([row], now)
            else:
                self.empty.pop(key, None)  # no longer empty: load it on its next lookup
        self.seen_id = max(self.seen_id, up_to_id)

    def compact(self, key: GroupKey, group: VectorGroup, now: int) -> None:
        """Drop the group's expired vectors; a group left with none is forgotten."""
        group.compact(now)
        if group.n == 0 and self.groups.get(key) is group:
            self.install(key, group)

    def usage(self) -> MemoryUse:
        return MemoryUse(
            groups=len(self.groups),
            empty_groups=len(self.empty),
            vectors=sum(g.n for g in self.groups.values()),
            nbytes=sum(g.nbytes for g in self.groups.values()),
        )
