"""The ``local`` executor: one forked process per step attempt, results back through a pipe.

Why fork: the child starts as a copy of the driver, so the step function, the
modules it came from (``__main__``, a test module, a file imported by path)
and everything they hold need no pickling and no re-import; a step that
crashes or leaks memory takes only its own process down; attempts run in
parallel on several cores. The child reports one JSON document through its
pipe and leaves with ``os._exit``, so it never runs the driver's ``atexit``
hooks (which would end the driver's runs).

What keeps the fork safe: the child opens its own workspace (new database
connections; the store drops inherited pools after fork), writes through
fresh stdout/stderr streams, and touches no lock a driver thread could hold.
The driver forks only from the thread running the scheduler. Needs
``os.fork`` (Linux, macOS); elsewhere use ``ray`` or ``inline``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.pipelines.attempt import (
    AttemptOutcome,
    AttemptTask,
    record_lost_attempt,
    run_attempt,
    worker_workspace,
)
from shipyard.workspace import Workspace

_CANCEL_GRACE_SECONDS = 5.0


@dataclass
class _Worker:
    pid: int
    task: AttemptTask
    data: bytearray = field(default_factory=bytearray)


class LocalExecutor:
    """Forked processes on this machine, as many at once as the scheduler allows."""

    name = "local"

    def __init__(self, ws: Workspace, address: str | None = None) -> None:
        if not hasattr(os, "fork"):
            raise InvalidInput(
                "the local executor forks processes, which this platform cannot do; "
                "use executor='ray' or executor='inline'"
            )
        self.ws = ws
        self.default_parallel: int | None = os.cpu_count() or 1
        _warm_up()
        self._logs = tempfile.mkdtemp(prefix="shipyard-steps-")
        self._workers: dict[int, _Worker] = {}  # read end of the pipe → worker

    def submit(self, task: AttemptTask, fn: Callable[..., Any]) -> None:
        task.log_path = os.path.join(self._logs, f"{task.step_id}-{task.attempt}.log")
        for stream in (sys.stdout, sys.stderr):  # or the child would print the parent's buffer
            with contextlib.suppress(Exception):
                stream.flush()
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns when forking a process with threads (the metric
            # buffer's, say). The child uses none of the locks those threads take.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, reported through the pipe
            os.close(read_end)
            _child(task, fn, write_end)
        os.close(write_end)
        self._workers[read_end] = _Worker(pid, task)

    def running(self) -> int:
        return len(self._workers)

    def wait(self, timeout: float) -> list[AttemptOutcome]:
        if not self._workers:
            time.sleep(max(0.0, timeout))
            return []
        done: list[AttemptOutcome] = []
        deadline = time.monotonic() + max(0.0, timeout)
        with selectors.DefaultSelector() as selector:
            for fd in self._workers:
                selector.register(fd, selectors.EVENT_READ)
            while not done:
                left = deadline - time.monotonic()
                events = selector.select(max(0.0, left))
                for key, _ in events:
                    fd = int(key.fd)
                    outcome = self._read(fd)
                    if outcome is not None:
                        selector.unregister(fd)
                        done.append(outcome)
                if left <= 0:
                    break
        return done

    def close(self, cancel: bool = False) -> None:
        if cancel and self._workers:
            for worker in self._workers.values():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGINT)  # the attempt ends its run as killed
            deadline = time.monotonic() + _CANCEL_GRACE_SECONDS
            while self._workers and time.monotonic() < deadline:
                self.wait(min(0.2, deadline - time.monotonic()))
            for fd, worker in list(self._workers.items()):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGKILL)
                self._finish(fd, worker)
                with contextlib.suppress(Exception):
                    record_lost_attempt(self.ws, worker.task, "stopped by the user", "killed")
        for fd, worker in list(self._workers.items()):  # not cancelled: let them finish
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
            os.close(fd)
        self._workers.clear()
        shutil.rmtree(self._logs, ignore_errors=True)

    def _read(self, fd: int) -> AttemptOutcome | None:
        """Read what is ready; at end of file, the attempt's outcome (or a lost attempt's)."""
        worker = self._workers[fd]
        chunk = os.read(fd, 1 << 16)
        if chunk:
            worker.data += chunk
            return None
        status = self._finish(fd, worker)
        try:
            return AttemptOutcome.from_dict(json.loads(worker.data.decode("utf-8")))
        except (ValueError, TypeError, KeyError):
            return record_lost_attempt(
                self.ws, worker.task, f"the worker process died ({_describe(status)})"
            )

    def _finish(self, fd: int, worker: _Worker) -> int:
        del self._workers[fd]
        os.close(fd)
        try:
            _, status = os.waitpid(worker.pid, 0)
        except ChildProcessError:
            return 0
        return status


def _warm_up() -> None:
    """Import here, once, what every forked attempt would otherwise import again.

    A child inherits the driver's imported modules; the libraries that write
    and read step values are imported lazily, so without this each attempt
    would pay for them (seconds for skops and scikit-learn).
    """
    wanted = []
    if {"pandas", "pyarrow", "polars"} & sys.modules.keys():
        wanted.append("shipyard.assets.datasets.parquet")
    if "sklearn" in sys.modules:
        wanted += ["skops.io", "shipyard.assets.models.model_folder"]
    for name in wanted:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _child(task: AttemptTask, fn: Callable[..., Any], write_end: int) -> None:  # pragma: no cover
    code = 0
    try:
        signal.signal(signal.SIGINT, _interrupt_once)
        with worker_workspace(task.workspace_env) as ws:
            outcome = run_attempt(task, fn, ws)
        data = json.dumps(outcome.to_dict()).encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _interrupt_once(signum: int, frame: object) -> None:  # pragma: no cover - in the child
    """Ctrl-C reaches the child from the terminal and again from the driver: act on the first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by signal {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    if os.WIFEXITED(status):
        return f"exit code {os.WEXITSTATUS(status)}"
    return f"status {status}"
