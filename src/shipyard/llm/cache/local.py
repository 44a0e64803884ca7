"""What one process keeps in memory in front of the SQL cache, per store.

Entries never change once written, so a positive entry held here (with its
expiry) stays right until it expires or the cache is cleared. A clear in this
process drops the memory at once; a clear in another process is noticed
through the store's clear token, checked at most every ``CHECK_INTERVAL_S``
by exact lookups and on every semantic lookup.

Memory is bounded: at most ``MAX_ANSWERS`` answers and ``MAX_ANSWER_BYTES``
of them (least recently used dropped first; an answer bigger than an eighth
of that, such as a large embeddings batch, is served from SQL each time
rather than kept), and the semantic groups are bounded by their own module.

The state is keyed by the repository object, so two ``Workspace`` objects on
one database keep separate memories and see each other's entries through SQL,
as two processes would.
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from shipyard.llm.cache.entries import CachedAnswer
from shipyard.store.sql.llm_cache import CacheState, SqlLLMCache

CHECK_INTERVAL_S = 1.0
"""How stale another process's clear may look to exact lookups here."""
SWEEP_INTERVAL_S = 600.0
"""How often a process deletes expired rows (on a store, never on a lookup)."""
MAX_ANSWERS = 4096
MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""Rough bytes of answers held (text, embeddings as Python floats); see ``footprint``."""
_FLOAT_BYTES = 32
"""A float in a tuple: the 24-byte object and its 8-byte pointer."""


def footprint(answer: CachedAnswer, size: int | None = None) -> int:
    """An estimate of the bytes ``answer`` holds in memory (``size``: its JSON length, if known)."""
    total = 400 + sys.getsizeof(answer.text)
    if answer.embeddings is not None:
        total += sum(56 + _FLOAT_BYTES * len(v) for v in answer.embeddings)
    elif size is not None:
        total = max(total, size)
    return total


class LocalState:
    """Answers recently read or written, the semantic groups loaded, and what SQL looked like."""

    def __init__(self, max_answers: int = MAX_ANSWERS, max_bytes: int = MAX_ANSWER_BYTES) -> None:
        self.lock = threading.RLock()
        self.max_answers = max_answers
        self.max_bytes = max_bytes
        self.answers: OrderedDict[Hashable, tuple[CachedAnswer, int | None, int]] = OrderedDict()
        """key → (answer, expires_at, footprint), least recently used first."""
        self.answer_bytes = 0
        self.semantic: Any = None
        """The semantic module's loaded groups (``groups.GroupTable``); a reset drops them."""
        self.clear_token: str | None = None
        self.known = False
        self.checked_at = 0.0
        self.swept_at = time.monotonic()

    def reset(self) -> None:
        """Forget everything (a clear happened here or elsewhere)."""
        with self.lock:
            self.answers.clear()
            self.answer_bytes = 0
            self.semantic = None

    def observe(self, state: CacheState) -> None:
        """Take in the store's state: a new clear token or fewer rows than seen drop the memory."""
        with self.lock:
            self.checked_at = time.monotonic()
            if not self.known:
                self.known = True
                self.clear_token = state.clear_token
            elif state.clear_token != self.clear_token:
                self.clear_token = state.clear_token
                self.reset()

    def check(self, repo: SqlLLMCache) -> None:
        """Look at the store's state if the last look is older than ``CHECK_INTERVAL_S``."""
        if time.monotonic() - self.checked_at >= CHECK_INTERVAL_S:
            self.observe(repo.state())

    def answer(self, key: Hashable, now: int) -> CachedAnswer | None:
        with self.lock:
            found = self.answers.get(key)
            if found is None:
                return None
            answer, expires_at, _ = found
            if expires_at is not None and expires_at <= now:
                self._forget(key)
                return None
            self.answers.move_to_end(key)
            return answer

    def remember(
        self,
        key: Hashable,
        answer: CachedAnswer,
        expires_at: int | None,
        *,
        size: int | None = None,
    ) -> None:
        """Keep ``answer`` (``size``: its JSON length), dropping the least recently used past the bounds."""
        cost = footprint(answer, size)
        with self.lock:
            self._forget(key)
            if cost > self.max_bytes // 8:
                return  # too big to keep: SQL serves it each time
            self.answers[key] = (answer, expires_at, cost)
            self.answer_bytes += cost
            while len(self.answers) > self.max_answers or self.answer_bytes > self.max_bytes:
                _, (_, _, dropped) = self.answers.popitem(last=False)
                self.answer_bytes -= dropped

    def _forget(self, key: Hashable) -> None:
        found = self.answers.pop(key, None)
        if found is not None:
            self.answer_bytes -= found[2]

    def sweep_due(self) -> bool:
        """True at most once per ``SWEEP_INTERVAL_S``: time to delete expired rows."""
        with self.lock:
            if time.monotonic() - self.swept_at < SWEEP_INTERVAL_S:
                return False
            self.swept_at = time.monotonic()
            return True


_lock = threading.Lock()
_states: weakref.WeakKeyDictionary[SqlLLMCache, LocalState] = weakref.WeakKeyDictionary()


def local_state(repo: SqlLLMCache) -> LocalState:
    """The memory this process keeps for ``repo`` (made on first use)."""
    found = _states.get(repo)
    if found is not None:
        return found
    with _lock:
        found = _states.get(repo)
        if found is None:
            found = _states[repo] = LocalState()
        return found
