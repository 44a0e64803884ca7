"""The gateway's threads for blocking work: one hop from the event loop and back per call.

The request path is synchronous (upstream sockets, store lookups), so every
call crosses to a thread and back. ``loop.run_in_executor`` makes that
crossing with two futures chained by callbacks (a ``concurrent.futures``
future with its condition variable, and an asyncio one); ``Workers.run``
hands the thread the asyncio future itself and resolves it with one
``call_soon_threadsafe``, which is about half the CPU per hop. Threads start
as calls need them, up to ``max_threads``, and stay (like
``ThreadPoolExecutor``'s).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")
_Item = tuple[Callable[..., Any], tuple[Any, ...], Any, Any] | None


class Workers(Executor):
    """A pool of threads for blocking calls, awaited from the event loop with ``run``."""

    def __init__(self, max_threads: int, name: str = "shipyard-worker") -> None:
        if max_threads < 1:
            raise ValueError("max_threads must be at least 1")
        self.max_threads = max_threads
        self.name = name
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._idle = 0
        """Threads waiting for work that no queued item has claimed yet, counted under
        ``_lock`` (a ``threading.Semaphore`` is Python code around a condition: more than
        twice the CPU, and it showed in profiles of the gateway under load)."""
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker thread; its result or its exception, here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._put((function, args, loop, future))
        return await future

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """``Executor.submit``: for work nobody awaits on the loop (a stream's pump)."""
        future: Future[T] = Future()
        call = fn if not kwargs else (lambda *a: fn(*a, **kwargs))
        self._put((call, args, None, future))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join()

    def _put(self, item: _Item) -> None:
        if self._closed:
            raise RuntimeError("cannot run work after shutdown")
        self._queue.put(item)
        with self._lock:
            if self._idle:
                self._idle -= 1
                return  # a thread is waiting and takes it
            if len(self._threads) < self.max_threads and not self._closed:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _work(self) -> None:
        get = self._queue.get
        while True:
            item = get()
            if item is None:
                return
            function, args, loop, future = item
            if loop is None:  # submit(): a concurrent future
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(function(*args))
                    except BaseException as exc:
                        future.set_exception(exc)
            else:
                try:
                    result = function(*args)
                except BaseException as exc:
                    _resolve(loop, future, None, exc)
                else:
                    _resolve(loop, future, result, None)
            del item, function, args, loop, future  # do not hold the last call's objects
            with self._lock:
                self._idle += 1


def _resolve(loop: Any, future: Any, result: Any, exc: BaseException | None) -> None:
    with contextlib.suppress(RuntimeError):  # a loop closed while the call ran: nobody waits
        loop.call_soon_threadsafe(_settle, future, result, exc)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
