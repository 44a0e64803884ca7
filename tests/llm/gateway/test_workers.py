"""The gateway's worker threads: results and errors come back to the loop; threads are bounded."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from shipyard.llm.gateway.workers import Workers


def test_run_returns_the_result_or_raises_the_error_in_the_loop() -> None:
    workers = Workers(2)

    def boom() -> None:
        raise ValueError("bad")

    async def main() -> None:
        assert await workers.run(lambda a, b: a + b, 2, 3) == 5
        assert await workers.run(threading.current_thread) is not threading.current_thread()
        with pytest.raises(ValueError, match="bad"):
            await workers.run(boom)

    asyncio.run(main())
    workers.shutdown()


def test_threads_are_bounded_and_reused() -> None:
    workers = Workers(3)
    running = 0
    most = 0
    lock = threading.Lock()

    def work() -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return threading.current_thread().name

    async def main() -> list[str]:
        return list(await asyncio.gather(*(workers.run(work) for _ in range(20))))

    names = asyncio.run(main())
    assert most == 3 and len(set(names)) == 3
    asyncio.run(main())  # the same threads serve again
    assert len(workers._threads) == 3
    workers.shutdown()
    assert not any(t.is_alive() for t in workers._threads)


def test_submit_is_an_executor_future_and_shutdown_refuses_more() -> None:
    workers = Workers(1)
    assert workers.submit(lambda x, y=1: x * y, 4, y=2).result(timeout=5) == 8
    workers.shutdown()
    with pytest.raises(RuntimeError):
        workers.submit(print)


def test_a_call_whose_awaiter_was_cancelled_is_dropped_quietly() -> None:
    workers = Workers(1)

    async def main() -> None:
        task = asyncio.ensure_future(workers.run(time.sleep, 0.1))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.15)  # the sleep ends; its result finds a cancelled future

    asyncio.run(main())
    workers.shutdown()
