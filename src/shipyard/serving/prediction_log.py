"""The prediction log: every answer recorded asynchronously, and read back for monitoring.

Requests hand records to a bounded in-memory queue and return at once; a
writer thread stores them in batches through ``ws.store.predictions``. Logging
never slows or fails a request: when the queue is full the record is dropped,
when the store fails the batch is dropped, and both are counted (``/metrics``)
and reported on stderr, at most once every few seconds.
"""

from __future__ import annotations

import queue
import threading
from datetime import datetime
from typing import Any

from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.notices import RateLimitedWarnings
from shipyard.store.protocol import PredictionRepo
from shipyard.store.serving_records import PredictionQuery, PredictionRecord
from shipyard.workspace import Workspace, current_workspace

_BATCH = 500


class PredictionLogger:
    """A bounded queue of prediction records and the thread that writes them.

    Args:
        repo: where records go (``ws.store.predictions``).
        metrics: counts written and dropped records.
        capacity: records that may wait; beyond that new records are dropped.
        flush_interval: the longest a record waits for others to share its write.
    """

    def __init__(
        self,
        repo: PredictionRepo,
        metrics: ServingMetrics,
        *,
        capacity: int = 10_000,
        flush_interval: float = 0.2,
        warnings: RateLimitedWarnings | None = None,
    ) -> None:
        self.repo = repo
        self.metrics = metrics
        self.flush_interval = flush_interval
        self.warnings = warnings or RateLimitedWarnings()
        self._queue: queue.Queue[PredictionRecord] = queue.Queue(maxsize=capacity)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def queue_length(self) -> int:
        return self._queue.qsize()

    def log(self, record: PredictionRecord) -> None:
        """Queue ``record`` for writing; drop (and count) it when the queue is full."""
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.metrics.log_dropped.inc(("queue_full",))
            self.warnings.warn(
                "log-full",
                "the prediction log queue is full (the store is slow or down); "
                "dropping predictions instead of slowing requests",
            )

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="shipyard-prediction-log", daemon=True
            )
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (for up to ``timeout`` seconds), then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        left = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            left += 1
        if left:
            self.metrics.log_dropped.inc(("shutdown",), left)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.flush_interval)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list[PredictionRecord]) -> None:
        try:
            self.repo.insert_many(batch)
        except Exception as exc:  # any store failure: count, tell, keep serving
            self.metrics.log_dropped.inc(("store_error",), len(batch))
            self.warnings.warn(
                "log-store",
                f"cannot write {len(batch)} prediction(s) to the prediction log, dropped: "
                f"{_first_line(exc)}",
            )
        else:
            self.metrics.log_written.inc((), len(batch))


def read_predictions(
    model: str | None = None,
    *,
    version: int | None = None,
    alias: str | None = None,
    deployment: str | None = None,
    request_id: str | None = None,
    shadow: bool | None = None,
    since: datetime | int | None = None,
    until: datetime | int | None = None,
    limit: int = 1000,
    newest_first: bool = False,
    workspace: Workspace | None = None,
) -> list[PredictionRecord]:
    """Logged predictions, filtered; ``since``/``until`` are datetimes or epoch milliseconds.

    Each record is one request: ``inputs`` maps column → values and ``outputs``
    has one value per row (``predictions_frame`` gives one row per input row).
    """
    ws = workspace or current_workspace()
    query = PredictionQuery(
        model=model,
        version=version,
        alias=alias,
        deployment=deployment,
        request_id=request_id,
        shadow=shadow,
        since=_ms(since),
        until=_ms(until),
        limit=limit,
        newest_first=newest_first,
    )
    return ws.store.predictions.query(query)


def predictions_frame(records: list[PredictionRecord]) -> Any:
    """One pandas row per predicted input row: the inputs' columns, then ``prediction``
    and the record's ``request_id``, ``model``, ``version``, ``alias``, ``shadow``, ``created_at``."""
    import pandas as pd  # type: ignore[import-untyped]

    frames = []
    for r in records:
        frame = pd.DataFrame(r.inputs)
        frame["prediction"] = r.outputs
        for key in ("request_id", "model", "version", "alias", "shadow", "created_at"):
            frame[key] = getattr(r, key)
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _ms(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return int(value.timestamp() * 1000)


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text).strip().splitlines()[0]
