"""The metric buffer: points reach the store in order, and a failed write loses nothing."""

from __future__ import annotations

import threading
import time

import pytest

import shipyard as sy
from shipyard.core.errors import NotFound, StoreError
from shipyard.store.records import MetricPoint
from shipyard.tracking.buffer import MetricBuffer


def _points(n: int, start: int = 0) -> list[MetricPoint]:
    return [MetricPoint("m", float(i), i, i) for i in range(start, start + n)]


class FlakyStore:
    """Stands in for a database that is down for a while: fails until told to recover."""

    def __init__(self) -> None:
        self.written: list[MetricPoint] = []
        self.down = False
        self.lock = threading.Lock()

    def write(self, points: list[MetricPoint]) -> None:
        with self.lock:
            if self.down:
                raise StoreError("database is down")
            self.written.extend(points)


def test_flush_writes_everything_in_order() -> None:
    target = FlakyStore()
    buf = MetricBuffer(target.write, interval=60)
    buf.extend(_points(5))
    for p in _points(5, start=5):
        buf.add(p)
    assert buf.pending == 10
    assert buf.flush() == 10
    assert buf.pending == 0
    assert target.written == _points(10)
    assert buf.close() == 0


def test_a_failed_flush_keeps_the_points_and_raises() -> None:
    target = FlakyStore()
    buf = MetricBuffer(target.write, interval=60)
    buf.extend(_points(3))
    target.down = True
    with pytest.raises(StoreError, match="database is down"):
        buf.flush()
    buf.extend(_points(2, start=3))
    assert buf.pending == 5
    target.down = False
    assert buf.flush() == 5
    assert target.written == _points(5)  # old points first, nothing twice
    buf.close()


def test_background_writer_retries_after_a_failure() -> None:
    target = FlakyStore()
    target.down = True
    buf = MetricBuffer(target.write, interval=0.02)
    buf.extend(_points(4))
    time.sleep(0.1)  # several failed ticks
    assert buf.pending == 4
    target.down = False
    deadline = time.monotonic() + 5
    while buf.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert target.written == _points(4)
    buf.close()


def test_a_full_buffer_is_written_without_waiting_for_the_tick() -> None:
    target = FlakyStore()
    buf = MetricBuffer(target.write, max_points=100, interval=60)
    buf.extend(_points(100))
    deadline = time.monotonic() + 5
    while len(target.written) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(target.written) == 100
    buf.close()


def test_close_writes_what_is_left() -> None:
    target = FlakyStore()
    buf = MetricBuffer(target.write, interval=60)
    buf.extend(_points(7))
    assert buf.close() == 7
    assert target.written == _points(7)


def test_concurrent_loggers_lose_nothing() -> None:
    target = FlakyStore()
    buf = MetricBuffer(target.write, max_points=50, interval=0.01)

    def log(offset: int) -> None:
        for p in _points(500, start=offset):
            buf.add(p)

    threads = [threading.Thread(target=log, args=(i * 1000,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    buf.close()
    assert sorted(p.step for p in target.written) == sorted(
        s for i in range(4) for s in range(i * 1000, i * 1000 + 500)
    )


def test_a_run_deleted_under_a_writer_raises_on_flush() -> None:
    run = sy.start_run()
    run.log_metric("m", 1.0)
    run.flush()
    sy.delete_run(run.id)
    run.log_metric("m", 2.0)
    with pytest.raises(NotFound):
        run.flush()
    with pytest.raises(NotFound):
        run.end()
    assert sy.active_run() is None


def test_background_writer_stores_points_without_flush() -> None:
    with sy.start_run() as run:
        run.log_metric("m", 1.0)
        deadline = time.monotonic() + 10
        while not sy.metric_history(run.id, "m") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p.value for p in sy.metric_history(run.id, "m")] == [1.0]
