"""Counters in the SQL store (``llm_counters``): limits for one node without Redis.

Every increment is one atomic upsert; the counters of one request go in one
transaction. Rows of ended windows are deleted now and then (at most once
every five minutes per process and database), not on every request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shipyard.core.clock import now_ms
from shipyard.core.errors import InvalidInput
from shipyard.llm.limits.counters import Increment

if TYPE_CHECKING:
    from shipyard.store.sql.llm_counters import SqlLLMCounters
    from shipyard.workspace import Workspace

PURGE_EVERY_MS = 5 * 60_000
_purged: dict[str, int] = {}
_purge_lock = threading.Lock()


class SqlCounters:
    """The ``Counters`` of a SQL store."""

    name = "sql"

    def __init__(self, repo: SqlLLMCounters, *, clock: Callable[[], int] = now_ms) -> None:
        self.repo = repo
        self.clock = clock

    @classmethod
    def of(cls, workspace: Workspace, *, clock: Callable[[], int] = now_ms) -> SqlCounters:
        """The counters of ``workspace``'s store; refused for a remote (``SHIPYARD_URI``) one."""
        repo = getattr(workspace.store, "llm_counters", None)
        if repo is None:
            raise InvalidInput(
                "rate limits and budgets need direct database access (SHIPYARD_DB or "
                "SHIPYARD_HOME) or a Redis (SHIPYARD_REDIS_URL), not a remote SHIPYARD_URI"
            )
        return cls(repo, clock=clock)

    def add(self, scope: str, window_start: int, window_ms: int, amount: float) -> float:
        return self.add_many([(scope, window_start, window_ms, amount)])[0]

    def add_many(self, increments: Sequence[Increment]) -> list[float]:
        values = self.repo.add_many(
            [(scope, start, start + length, amount) for scope, start, length, amount in increments]
        )
        self._purge_now_and_then()
        return values

    def get(self, scope: str, window_start: int) -> float:
        return self.repo.get_many([(scope, window_start)])[0]

    def get_many(self, windows: Sequence[tuple[str, int]]) -> list[float]:
        return self.repo.get_many(windows)

    def close(self) -> None:
        """Nothing to close: the store owns the connections."""

    def _purge_now_and_then(self) -> None:
        now = self.clock()
        url = self.repo.db.url
        with _purge_lock:
            if now - _purged.get(url, 0) < PURGE_EVERY_MS:
                return
            _purged[url] = now
        self.repo.purge(now)
