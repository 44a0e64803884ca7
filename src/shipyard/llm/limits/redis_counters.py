"""Counters in Redis: one limit shared by every gateway replica that points at it.

Each increment is ``INCRBYFLOAT`` plus ``PEXPIREAT`` (the window's end and a
minute of grace for clocks that disagree a little), and the increments of one
request go in one ``MULTI``/``EXEC`` pipeline: one round trip, applied
atomically. Keys are ``shipyard:limits:<scope>:<window start ms>``.

redis-py is imported when the first Redis counters are built, never by
``import shipyard`` (extra ``redis``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from shipyard.core.errors import InvalidInput, StoreError
from shipyard.llm.limits.counters import Increment

PREFIX = "shipyard:limits:"
GRACE_MS = 60_000


class RedisCounters:
    """The ``Counters`` of a Redis server (``redis://host:6379/0``, ``rediss://…``)."""

    name = "redis"

    def __init__(self, url: str, *, prefix: str = PREFIX, timeout_s: float = 5.0) -> None:
        try:
            import redis
        except ImportError as exc:
            raise InvalidInput(
                "shared rate limits need the redis package: pip install 'shipyard[redis]'"
            ) from exc
        self.url = url
        self.prefix = prefix
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError,)
        try:
            self.client: Any = redis.Redis.from_url(
                url,
                socket_timeout=timeout_s,
                socket_connect_timeout=timeout_s,
                health_check_interval=30,
            )
        except ValueError as exc:
            raise InvalidInput(f"not a Redis URL: {_safe(url)} ({exc})") from None

    def key(self, scope: str, window_start: int) -> str:
        return f"{self.prefix}{scope}:{window_start}"

    def add(self, scope: str, window_start: int, window_ms: int, amount: float) -> float:
        return self.add_many([(scope, window_start, window_ms, amount)])[0]

    def add_many(self, increments: Sequence[Increment]) -> list[float]:
        if not increments:
            return []
        try:
            pipe = self.client.pipeline(transaction=True)
            for scope, start, length, amount in increments:
                name = self.key(scope, start)
                pipe.incrbyfloat(name, float(amount))
                pipe.pexpireat(name, start + length + GRACE_MS)
            replies = pipe.execute()
        except self._errors as exc:
            raise self._failure(exc) from exc
        return [float(replies[2 * i]) for i in range(len(increments))]

    def get(self, scope: str, window_start: int) -> float:
        return self.get_many([(scope, window_start)])[0]

    def get_many(self, windows: Sequence[tuple[str, int]]) -> list[float]:
        if not windows:
            return []
        try:
            values = self.client.mget([self.key(scope, start) for scope, start in windows])
        except self._errors as exc:
            raise self._failure(exc) from exc
        return [0.0 if v is None else float(v) for v in values]

    def close(self) -> None:
        self.client.close()

    def _failure(self, exc: BaseException) -> StoreError:
        return StoreError(
            f"cannot use Redis at {_safe(self.url)} for rate limits and budgets: {exc} "
            "(check SHIPYARD_REDIS_URL or limits.redis_url in the gateway config)"
        )


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))
