"""The counters backends, each against the real thing: SQLite, PostgreSQL, Redis.

Every backend must give the same answers: atomic increments that return the
new value, several increments in one round trip, zero for a window never
added to, and counters that go away once their window has ended.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shipyard.core.clock import now_ms
from shipyard.llm.limits.counters import Counters
from shipyard.llm.limits.redis_counters import RedisCounters, _safe
from shipyard.llm.limits.sql_counters import SqlCounters
from shipyard.store.sql import SqlStore

MINUTE = 60_000


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def counters(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Counters]:
    if request.param == "redis":
        make: Callable[[], RedisCounters] = request.getfixturevalue("redis_counters")
        yield make()
        return
    url = (
        f"sqlite:///{tmp_path / 'c.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    store = SqlStore(url)
    yield SqlCounters(store.llm_counters)
    store.close()


def window() -> int:
    now = now_ms()
    return now - now % MINUTE


def test_add_returns_the_running_total(counters: Counters) -> None:
    start = window()
    assert counters.add("key:a:req", start, MINUTE, 1) == 1
    assert counters.add("key:a:req", start, MINUTE, 1) == 2
    assert counters.add("key:a:req", start - MINUTE, MINUTE, 5) == 5  # another window
    assert counters.get("key:a:req", start) == 2
    assert counters.get("key:never", start) == 0


def test_many_in_one_round_trip_keep_their_order(counters: Counters) -> None:
    start = window()
    assert counters.add_many([("t", start, MINUTE, 120), ("u", start, MINUTE, 0.25)]) == [
        120,
        0.25,
    ]
    assert counters.add_many([("u", start, MINUTE, 0.5), ("t", start, MINUTE, 0)]) == [0.75, 120]
    assert counters.get_many([("u", start), ("missing", start), ("t", start)]) == [0.75, 0, 120]
    assert counters.get_many([]) == [] and counters.add_many([]) == []


def test_fractions_of_a_cent_add_up(counters: Counters) -> None:
    start = window()
    for _ in range(100):
        total = counters.add("usd", start, MINUTE, 0.000_015)
    assert total == pytest.approx(0.0015)
    assert counters.add("usd", start, MINUTE, -0.0005) == pytest.approx(0.001)


def test_concurrent_increments_are_never_lost(counters: Counters) -> None:
    start = window()
    seen: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            value = counters.add("hot", start, MINUTE, 1)
            with lock:
                seen.append(value)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counters.get("hot", start) == 200
    assert sorted(seen) == list(range(1, 201))  # every caller saw its own new value


def test_sql_counters_purge_ended_windows(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'c.db'}")
    now = [window()]
    counters = SqlCounters(store.llm_counters, clock=lambda: now[0])
    old = now[0] - 10 * MINUTE
    counters.add_many([("old", old, MINUTE, 1), ("live", now[0], MINUTE, 1)])
    assert counters.get("old", old) == 0  # the first add of a process purges ended windows
    assert counters.get("live", now[0]) == 1
    counters.add("old", old, MINUTE, 1)
    assert counters.get("old", old) == 1  # not again within five minutes...
    now[0] += 6 * MINUTE
    counters.add("live2", now[0], MINUTE, 1)
    assert counters.get("old", old) == 0  # ...but after
    assert store.llm_counters.purge(now[0] + 100 * MINUTE) == 1  # live2 was still there
    store.close()


def test_redis_counters_expire_with_their_window(redis_counters) -> None:  # type: ignore[no-untyped-def]
    counters: RedisCounters = redis_counters()
    start = window()
    counters.add("req", start, MINUTE, 1)
    ttl_ms = counters.client.pttl(counters.key("req", start))
    assert 0 < ttl_ms <= MINUTE + 60_000  # the window's end plus a minute of grace
    assert counters.key("req", start).startswith("shipyard:limits:")


def test_an_unreachable_redis_is_one_clear_error() -> None:
    from shipyard.core.errors import StoreError

    counters = RedisCounters("redis://:hunter2@127.0.0.1:1/0", timeout_s=0.5)
    with pytest.raises(
        StoreError, match=r"cannot use Redis at redis://:\*\*\*@127\.0\.0\.1:1/0"
    ) as e:
        counters.add("x", 0, MINUTE, 1)
    assert "hunter2" not in str(e.value)
    assert _safe("redis://u:p@h:6379/1") == "redis://u:***@h:6379/1"


_WORKER = """
import sys
from shipyard.llm.limits.sql_counters import SqlCounters
from shipyard.store.sql import SqlStore
store = SqlStore(sys.argv[1])
counters = SqlCounters(store.llm_counters)
for _ in range(100):
    counters.add("shared", int(sys.argv[2]), 60000, 1)
"""


def test_two_processes_share_one_sqlite_counter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = SqlStore(url)
    start = window()
    env = dict(os.environ)
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, url, str(start)], env=env)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 120
    for p in procs:
        assert p.wait(timeout=max(1.0, deadline - time.monotonic())) == 0
    assert SqlCounters(store.llm_counters).get("shared", start) == 200
    store.close()


def test_sql_sums_a_counter_named_twice_in_one_call(store_url: str) -> None:
    store = SqlStore(store_url)
    counters = SqlCounters(store.llm_counters)
    start = window()
    assert counters.add_many(
        [("d", start, MINUTE, 1), ("e", start, MINUTE, 5), ("d", start, MINUTE, 2)]
    ) == [3, 5, 3]
    store.close()
