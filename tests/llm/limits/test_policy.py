"""Admit and charge: which limit refuses, with which numbers, and when it resets.

Time is injected (a clock the test moves), so a window resets without
sleeping a minute. The same script runs on SQL and on Redis counters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shipyard.core.errors import RateLimited
from shipyard.llm.key_records import VirtualKey
from shipyard.llm.limits import Counters, Limiter
from shipyard.llm.limits.sql_counters import SqlCounters
from shipyard.store.sql import SqlStore

# A Friday afternoon, in the future so that Redis does not expire the windows at once.
T0 = int(datetime(2031, 12, 5, 15, 48, 0, tzinfo=UTC).timestamp() * 1000)


class Clock:
    def __init__(self, at: int = T0) -> None:
        self.now = at

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sql", "redis"])
def make_counters(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> Iterator[Callable[[], Counters]]:
    """A factory of counters that share one place (a second call is a second replica)."""
    if request.param == "redis":
        yield request.getfixturevalue("redis_counters")
        return
    store = SqlStore(f"sqlite:///{tmp_path / 'limits.db'}")
    yield lambda: SqlCounters(store.llm_counters, clock=clock)
    store.close()


@pytest.fixture
def limiter(make_counters: Callable[[], Counters], clock: Clock) -> Limiter:
    return Limiter(make_counters(), clock=clock)


def key(**limits: object) -> VirtualKey:
    return VirtualKey(id="k" * 32, name="ci-bot", project="p", prefix="sk-sy-abcd", **limits)  # type: ignore[arg-type]


def refused(limiter: Limiter, k: VirtualKey) -> RateLimited:
    with pytest.raises(RateLimited) as info:
        limiter.admit(k)
    return info.value


def test_requests_per_minute(limiter: Limiter, clock: Clock) -> None:
    k = key(rpm=3)
    clock.advance(37)  # 15:48:37, 23 s before the minute ends
    assert [limiter.admit(k).requests_this_minute for _ in range(3)] == [1, 2, 3]
    err = refused(limiter, k)
    assert err.message == "key 'ci-bot' is over its limit of 3 requests/minute; retry in 23 s"
    assert err.retry_after_s == 23 and err.status == 429
    refused(limiter, k)
    assert limiter.usage(k).requests_this_minute == 3  # refused requests gave their count back
    clock.advance(23)  # the next minute
    assert limiter.admit(k).requests_this_minute == 1


def test_tokens_per_minute(limiter: Limiter, clock: Clock) -> None:
    k = key(tpm=1000)
    limiter.admit(k)
    limiter.charge(k, tokens=600, cost_usd=0.0)
    limiter.admit(k)  # 600 used: still under
    limiter.charge(k, tokens=650, cost_usd=0.0)
    err = refused(limiter, k)
    assert err.message == (
        "key 'ci-bot' is over its limit of 1,000 tokens/minute (used 1,250); retry in 60 s"
    )
    assert err.retry_after_s == 60
    clock.advance(60)
    assert limiter.admit(k).tokens_this_minute == 0


def test_daily_budget_says_when_it_resets(limiter: Limiter, clock: Clock) -> None:
    k = key(budget_usd=10.0, budget_period="day")
    limiter.admit(k)
    limiter.charge(k, tokens=100, cost_usd=9.99)
    assert limiter.admit(k).remaining_usd == pytest.approx(0.01)
    limiter.charge(k, tokens=100, cost_usd=0.03)  # the call in flight may end a little over
    err = refused(limiter, k)
    assert err.message == (
        "key 'ci-bot' is over its budget of $10.00/day (spent $10.02); "
        "it resets at 2031-12-06 00:00 UTC (in 8h 12m)"
    )
    assert err.retry_after_s == 8 * 3600 + 12 * 60
    usage = limiter.usage(k)
    assert usage.spent_usd == pytest.approx(10.02)
    assert usage.budget_resets_at == T0 + (8 * 3600 + 12 * 60) * 1000
    clock.advance(8 * 3600 + 12 * 60)  # midnight UTC
    assert limiter.admit(k).spent_usd == 0


@pytest.mark.parametrize(
    ("period", "resets"),
    [
        ("hour", "2031-12-05 16:00 UTC (in 12m 00s)"),
        ("week", "2031-12-08 00:00 UTC (in 2d 8h)"),
        ("month", "2032-01-01 00:00 UTC (in 26d 8h)"),
    ],
)
def test_other_budget_periods(limiter: Limiter, period: str, resets: str) -> None:
    k = key(budget_usd=0.5, budget_period=period)
    limiter.charge(k, tokens=10, cost_usd=0.5)
    err = refused(limiter, k)
    assert err.message.endswith(f"budget of $0.50/{period} (spent $0.50); it resets at {resets}")


def test_total_budget_does_not_reset(limiter: Limiter, clock: Clock) -> None:
    k = key(budget_usd=5.0, budget_period="total")
    limiter.charge(k, tokens=10, cost_usd=5.0001)
    err = refused(limiter, k)
    assert err.message == (
        "key 'ci-bot' has spent its total budget of $5.00 (spent $5.00); it does not reset: "
        "create a new key with `shipyard keys create`"
    )
    assert err.retry_after_s is None
    clock.advance(400 * 86400)
    refused(limiter, k)


def test_the_longest_lasting_limit_is_named(limiter: Limiter) -> None:
    k = key(rpm=1, tpm=10, budget_usd=1.0, budget_period="day")
    limiter.admit(k)
    limiter.charge(k, tokens=50, cost_usd=2.0)
    assert "budget" in refused(limiter, k).message
    assert limiter.usage(k).requests_this_minute == 1


def test_a_key_without_limits_touches_no_counter(limiter: Limiter) -> None:
    k = key()
    usage = limiter.admit(k)
    assert (usage.spent_usd, usage.requests_this_minute, usage.tokens_this_minute) == (
        None,
        None,
        None,
    )
    limiter.charge(k, tokens=10**6, cost_usd=100.0)
    assert limiter.usage(k).to_dict()["remaining_usd"] is None


def test_sql_and_redis_tell_the_same_story(
    tmp_path: Path, redis_counters: Callable[[], Counters]
) -> None:
    def story(counters: Counters) -> list[object]:
        clock = Clock()
        limiter = Limiter(counters, clock=clock)
        k = key(rpm=2, tpm=500, budget_usd=1.0, budget_period="hour")
        seen: list[object] = []
        for tokens, cost in [(200, 0.25), (400, 0.5), (0, 0.0), (100, 0.5), (0, 0.0)]:
            try:
                seen.append(limiter.admit(k).to_dict())
                limiter.charge(k, tokens=tokens, cost_usd=cost)
            except RateLimited as exc:
                seen.append((exc.message, exc.retry_after_s))
            clock.advance(31)
        seen.append(limiter.usage(k).to_dict())
        return seen

    store = SqlStore(f"sqlite:///{tmp_path / 'same.db'}")
    on_sql = story(SqlCounters(store.llm_counters, clock=Clock()))
    store.close()
    on_redis = story(redis_counters())
    assert on_sql == on_redis
    assert any(isinstance(s, tuple) for s in on_sql)  # the story includes refusals


def test_two_replicas_on_one_redis_respect_one_limit(
    redis_counters: Callable[[], Counters], clock: Clock
) -> None:
    replicas = [Limiter(redis_counters(), clock=clock) for _ in range(2)]
    k = key(rpm=25)
    admitted: list[int] = []
    lock = threading.Lock()

    def hammer(limiter: Limiter) -> None:
        for _ in range(30):
            try:
                limiter.admit(k)
            except RateLimited:
                continue
            with lock:
                admitted.append(1)

    threads = [threading.Thread(target=hammer, args=(replicas[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 25  # 120 tries across two replicas, exactly the limit admitted
    assert replicas[1].usage(k).requests_this_minute == 25
