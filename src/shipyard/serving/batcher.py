"""Adaptive micro-batching: requests for one model version share ``predict`` calls.

Requests queue up; one worker takes the first, drains whatever else is already
queued (up to ``max_batch_size`` rows), optionally waits ``max_wait_ms`` for
more, and runs one ``predict`` for all of them in a thread. While the model is
busy, new requests queue, so batches grow by themselves under load and stay at
one request when traffic is light: a lone request never waits for company
unless ``max_wait_ms`` says so.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shipyard.serving.model_input import ModelInput

Outcome = Any  # what ``run`` returns per job: a result, or the exception to raise for it


@dataclass(slots=True)
class Job:
    """One request waiting for its predictions."""

    input: ModelInput
    proba: bool = False
    future: asyncio.Future[Any] = field(init=False)


class MicroBatcher:
    """Batches jobs for one model version.

    ``run(jobs)`` is called in a worker thread and returns one outcome per
    job, in order: the job's result, or an exception instance to raise in
    that job's caller (so one bad request never fails its batch-mates).
    ``on_batch(rows)`` is told each batch's size, for the metrics.
    """

    def __init__(
        self,
        run: Callable[[Sequence[Job]], list[Outcome]],
        *,
        max_batch_size: int = 64,
        max_wait_ms: float = 0.0,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.run = run
        self.max_rows = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self.on_batch = on_batch
        self._pending: deque[Job] = deque()
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._retired = False

    @property
    def queued(self) -> int:
        return len(self._pending)

    def submit(self, job: Job) -> asyncio.Future[Any]:
        """Queue ``job``; the returned future gets its outcome. Call from the event loop."""
        loop = asyncio.get_running_loop()
        job.future = loop.create_future()
        self._pending.append(job)
        if self._worker is None or self._worker.done():
            self._wakeup = asyncio.Event()
            self._worker = loop.create_task(self._work(), name="shipyard-batcher")
        assert self._wakeup is not None
        self._wakeup.set()
        return job.future

    def retire(self) -> None:
        """Finish what is queued, then let the worker end (a swapped-out version)."""
        self._retired = True
        if self._wakeup is not None:
            self._wakeup.set()

    async def close(self) -> None:
        """Finish what is queued and stop the worker."""
        self.retire()
        if self._worker is not None:
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        wakeup = self._wakeup
        assert wakeup is not None
        while True:
            if not self._pending:
                if self._retired:
                    return
                wakeup.clear()
                await wakeup.wait()
                continue
            batch, rows = self._take([], 0)
            if self.max_wait > 0 and rows < self.max_rows:
                batch, rows = await self._wait_for_more(batch, rows, wakeup)
            live = [job for job in batch if not job.future.done()]  # skip cancelled callers
            if not live:
                continue
            try:
                outcomes = await loop.run_in_executor(None, self.run, live)
            except Exception as exc:  # run() reports per job; this is a bug or a dead executor
                outcomes = [exc] * len(live)
            if self.on_batch is not None:
                self.on_batch(sum(job.input.rows for job in live))
            for job, outcome in zip(live, outcomes, strict=True):
                if job.future.done():
                    continue
                if isinstance(outcome, BaseException):
                    job.future.set_exception(outcome)
                else:
                    job.future.set_result(outcome)

    def _take(self, batch: list[Job], rows: int) -> tuple[list[Job], int]:
        pending = self._pending
        while pending and (not batch or rows + pending[0].input.rows <= self.max_rows):
            job = pending.popleft()
            batch.append(job)
            rows += job.input.rows
        return batch, rows

    async def _wait_for_more(
        self, batch: list[Job], rows: int, wakeup: asyncio.Event
    ) -> tuple[list[Job], int]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        while rows < self.max_rows and not self._retired:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wakeup.clear()
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                break
            before = len(batch)
            batch, rows = self._take(batch, rows)
            if len(batch) == before and self._pending:
                break  # the next request alone would overflow the batch
        return batch, rows
