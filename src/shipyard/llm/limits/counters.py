"""Where the counters of rate limits and budgets live: the SQL store, or Redis for replicas.

One gateway process (or several on one machine sharing a SQLite file) counts
in the ``llm_counters`` table. Gateway replicas on several machines share a
Redis (``limits.redis_url`` in the gateway config, or ``SHIPYARD_REDIS_URL``)
so that together they respect one limit.

A counter is named by a scope (``key:<id>:req``) and the start of its fixed
window; increments are atomic and return the new value, so "count this
request, then compare" needs no lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.workspace import Workspace

Increment = tuple[str, int, int, float]
"""(scope, window_start, window_ms, amount): the counter expires when its window ends."""


class Counters(Protocol):
    """Atomic fixed-window counters."""

    name: str
    """``sql`` or ``redis``: for traces and messages."""

    def add(self, scope: str, window_start: int, window_ms: int, amount: float) -> float:
        """Add ``amount`` atomically; the new value. The counter expires after its window."""
        ...

    def add_many(self, increments: Sequence[Increment]) -> list[float]:
        """Several ``add`` in one round trip (one transaction); the new values in order.

        Name each counter once per call: the backends differ in which value a
        repeated one reports.
        """
        ...

    def get(self, scope: str, window_start: int) -> float:
        """The counter's value, 0 if nothing was added in that window."""
        ...

    def get_many(self, windows: Sequence[tuple[str, int]]) -> list[float]:
        """Several ``get`` in one round trip."""
        ...

    def close(self) -> None: ...


_lock = threading.Lock()
_redis: dict[str, Counters] = {}


def open_counters(
    config: GatewayConfig | None, workspace: Workspace, *, clock: Callable[[], int] | None = None
) -> Counters:
    """Redis counters if a Redis URL is configured, else the workspace's SQL counters.

    Redis clients are kept per URL for the life of the process (a connection
    pool each); SQL counters are cheap views over the store. ``clock`` (ms)
    is for tests that move time: the SQL counters purge ended windows by it.
    """
    from shipyard.llm.config import GatewayConfig

    url = (config or GatewayConfig()).redis_url
    if url:
        with _lock:
            found = _redis.get(url)
            if found is None:
                from shipyard.llm.limits.redis_counters import RedisCounters

                found = _redis[url] = RedisCounters(url)
            return found
    from shipyard.llm.limits.sql_counters import SqlCounters

    return SqlCounters.of(workspace) if clock is None else SqlCounters.of(workspace, clock=clock)


def close_counters() -> None:
    """Drop the shared Redis clients (tests, shutdown)."""
    with _lock:
        for counters in _redis.values():
            counters.close()
        _redis.clear()
