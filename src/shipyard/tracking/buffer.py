"""The client-side metric buffer: ``log_metric`` appends, a background thread writes batches.

A point is durable once ``flush()`` returns (or the run ends): ``flush`` writes
everything buffered in one transaction and only then returns. After ``close()``
points are written as they come. A failed
background write keeps its points and is retried on the next tick; ``flush()``
raises the store's error itself, so a failure is never silent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from shipyard.store.records import MetricPoint

FlushFn = Callable[[list[MetricPoint]], None]


class MetricBuffer:
    def __init__(self, write: FlushFn, max_points: int = 20_000, interval: float = 1.0) -> None:
        self._write = write
        self._max = max_points
        self._interval = interval
        self._points: list[MetricPoint] = []
        self._lock = threading.Lock()  # guards _points
        self._io = threading.Lock()  # one writer at a time, in order
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="shipyard-metrics", daemon=True)
        self._thread.start()

    def add(self, point: MetricPoint) -> None:
        with self._lock:
            self._points.append(point)
            full = len(self._points) >= self._max
        self._after_add(full)

    def extend(self, points: list[MetricPoint]) -> None:
        with self._lock:
            self._points.extend(points)
            full = len(self._points) >= self._max
        self._after_add(full)

    def _after_add(self, full: bool) -> None:
        if self._closed:
            # No thread writes for a closed buffer (a run logged to after it
            # ended): write now rather than keep points nobody will store.
            self._drain()
        elif full:
            self._wake.set()

    def flush(self) -> int:
        """Write everything buffered so far and return how many points that was.

        Raises the store's error if the write fails; the points stay buffered.
        """
        return self._drain()

    @property
    def pending(self) -> int:
        return len(self._points)

    def close(self) -> int:
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=30)
        return self.flush()

    def _drain(self) -> int:
        with self._io:
            with self._lock:
                batch, self._points = self._points, []
            if not batch:
                return 0
            try:
                self._write(batch)
            except BaseException:
                with self._lock:
                    self._points = batch + self._points
                raise
            return len(batch)

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._closed:
                return
            try:
                self._drain()
            except Exception:  # points stay buffered; flush() will raise if it persists
                continue
