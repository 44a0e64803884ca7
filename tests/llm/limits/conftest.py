"""Redis for the limits tests: the real server at 127.0.0.1:6379, a unique key prefix per test."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from shipyard.llm.limits.redis_counters import RedisCounters

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_missing() -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


@pytest.fixture
def redis_url(require_service) -> str:  # type: ignore[no-untyped-def]
    why = _redis_missing()
    if why is not None:
        require_service("Redis", why)
    return REDIS_URL


@pytest.fixture
def redis_counters(redis_url: str) -> Iterator[Callable[[], RedisCounters]]:
    """Build Redis counters that share one fresh prefix (two "replicas"); deleted afterwards."""
    prefix = f"shipyard:limits:test-{secrets.token_hex(6)}:"
    built: list[RedisCounters] = []

    def make() -> RedisCounters:
        counters = RedisCounters(redis_url, prefix=prefix)
        built.append(counters)
        return counters

    yield make
    if built:
        client = built[0].client
        names = list(client.scan_iter(match=prefix + "*", count=500))
        if names:
            client.delete(*names)
    for counters in built:
        counters.close()
