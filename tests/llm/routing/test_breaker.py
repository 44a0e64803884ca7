"""The circuit breaker: closed → open after N failures → half-open probe → closed or open again."""

from __future__ import annotations

import threading

import pytest

from shipyard.llm.routing import Breakers, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_only() -> None:
    clock = Clock()
    b = CircuitBreaker(3, 10.0, clock=clock)
    b.record_failure("one")
    b.record_failure("two")
    b.record_success()  # a success in between resets the count
    b.record_failure("a")
    b.record_failure("b")
    assert b.state == "closed" and b.acquire()
    b.record_failure("c")
    assert b.state == "open"
    assert not b.available() and not b.acquire()
    assert b.retry_in_s() == pytest.approx(10.0)
    assert b.snapshot().last_error == "c"


def test_half_open_lets_exactly_one_probe_through_and_closes_on_success() -> None:
    clock = Clock()
    b = CircuitBreaker(1, 5.0, clock=clock)
    b.record_failure("boom")
    clock.now = 4.9
    assert b.state == "open" and not b.acquire()
    clock.now = 5.0
    assert b.state == "half-open" and b.available()
    assert b.acquire()  # the probe
    assert not b.acquire() and not b.available()  # everyone else waits for its verdict
    b.record_success()
    assert b.state == "closed" and b.acquire() and b.acquire()
    assert b.snapshot().failures == 0


def test_failed_probe_reopens_for_a_full_cooldown() -> None:
    clock = Clock()
    b = CircuitBreaker(3, 5.0, clock=clock)
    for _ in range(3):
        b.record_failure("x")
    clock.now = 6.0
    assert b.acquire()
    b.record_failure("still down")  # one failure is enough in half-open
    assert b.state == "open"
    assert b.retry_in_s() == pytest.approx(5.0)


def test_released_probe_can_be_taken_again() -> None:
    clock = Clock()
    b = CircuitBreaker(1, 1.0, clock=clock)
    b.record_failure()
    clock.now = 2.0
    assert b.acquire()
    b.release()
    assert b.acquire()


def test_only_one_of_many_threads_gets_the_probe() -> None:
    clock = Clock()
    b = CircuitBreaker(1, 1.0, clock=clock)
    b.record_failure()
    clock.now = 1.5
    barrier = threading.Barrier(16)
    won: list[bool] = []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait()
        got = b.acquire()
        with lock:
            won.append(got)

    threads = [threading.Thread(target=race) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert won.count(True) == 1


def test_snapshot_reports_state_and_wall_clock_reopen_time() -> None:
    from shipyard.core.clock import now_ms

    clock = Clock()
    board = Breakers(clock=clock)
    a = board.get("openai/a", "http://h:1/v1", failures=1, cooldown_s=30.0)
    board.get("local/m", None, failures=1, cooldown_s=30.0)
    assert board.get("openai/a", "http://h:1/v1", failures=9, cooldown_s=1.0) is a
    a.record_failure("HTTP 503")
    states = board.snapshot()
    assert set(states) == {"openai/a@http://h:1/v1", "local/m"}
    snap = states["openai/a@http://h:1/v1"]
    assert snap.state == "open" and snap.failures == 1
    assert snap.opened_until_ms is not None
    assert abs(snap.opened_until_ms - (now_ms() + 30_000)) < 2_000
    assert states["local/m"].to_dict()["state"] == "closed"
    assert states["local/m"].opened_until_ms is None
    board.reset()
    assert board.snapshot() == {}


def test_a_breaker_needs_a_positive_threshold() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(0, 1.0)
