"""The ``ray`` executor: each step attempt is one Ray task (one CPU, no Ray-level retries).

Ray places tasks on the machines of a cluster, or on a local instance started
on first use (see ``ray_cluster``). Retries are ours, so every attempt is a
recorded child run. Each task carries the driver's workspace settings, since a
Ray worker outlives the pipeline that started it.

Step functions travel with cloudpickle. A function defined in a module the
workers cannot import (``__main__``, a file loaded by path, a test module) is
sent by value, and so is every other user module it refers to; installed
packages (and shipyard) are imported on the workers as usual.
"""

from __future__ import annotations

import contextlib
import functools
import site
import sys
import sysconfig
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shipyard.pipelines.attempt import (
    AttemptOutcome,
    AttemptTask,
    record_lost_attempt,
    run_attempt,
    worker_workspace,
)
from shipyard.pipelines.ray_cluster import connect
from shipyard.workspace import Workspace

_CANCEL_GRACE_SECONDS = 5.0


def ray_attempt(task: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    """The Ray task: run one attempt in the worker against the driver's workspace."""
    attempt = AttemptTask.from_dict(task)
    with worker_workspace(attempt.workspace_env) as ws:
        return run_attempt(attempt, fn, ws).to_dict()


class RayExecutor:
    """Ray tasks on a local instance or on the cluster at ``address``."""

    name = "ray"
    default_parallel: int | None = None

    def __init__(self, ws: Workspace, address: str | None = None) -> None:
        self.ws = ws
        self.ray = connect(ws, address)
        self._remote = self.ray.remote(num_cpus=1, max_retries=0)(ray_attempt)
        self._tasks: dict[Any, AttemptTask] = {}  # object ref → task
        self._refused: list[AttemptOutcome] = []

    def submit(self, task: AttemptTask, fn: Callable[..., Any]) -> None:
        try:
            ship_by_value(fn)
            ref = self._remote.remote(task.to_dict(), fn)
        except Exception as exc:  # cloudpickle could not serialize the function or its globals
            outcome = record_lost_attempt(
                self.ws,
                task,
                f"cannot send step {task.step_id} to Ray workers: {type(exc).__name__}: {exc}",
            )
            outcome.retryable = False
            self._refused.append(outcome)
            return
        self._tasks[ref] = task

    def running(self) -> int:
        return len(self._tasks) + len(self._refused)

    def wait(self, timeout: float) -> list[AttemptOutcome]:
        done, self._refused = self._refused, []
        if done:
            timeout = 0.0
        if not self._tasks:
            if not done:
                time.sleep(max(0.0, timeout))
            return done
        refs = list(self._tasks)
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=max(0.0, timeout))
        if ready:
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        for ref in ready:
            task = self._tasks.pop(ref)
            try:
                done.append(AttemptOutcome.from_dict(self.ray.get(ref)))
            except Exception as exc:  # the worker died, or Ray could not run the task
                why = f"the Ray task failed: {type(exc).__name__}: {_first_line(exc)}"
                done.append(record_lost_attempt(self.ws, task, why))
        return done

    def close(self, cancel: bool = False) -> None:
        if not cancel:
            for ref in list(self._tasks):
                with contextlib.suppress(Exception):
                    self.ray.get(ref)
            self._tasks.clear()
            return
        for ref in self._tasks:
            with contextlib.suppress(Exception):
                self.ray.cancel(ref)  # KeyboardInterrupt in the task: it ends its run as killed
        deadline = time.monotonic() + _CANCEL_GRACE_SECONDS
        while self._tasks and time.monotonic() < deadline:
            refs = list(self._tasks)
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0.2)
            for ref in ready:
                self._tasks.pop(ref)
        for ref, task in list(self._tasks.items()):
            with contextlib.suppress(Exception):
                self.ray.cancel(ref, force=True)
            with contextlib.suppress(Exception):
                record_lost_attempt(self.ws, task, "stopped by the user", "killed")
        self._tasks.clear()


def ship_by_value(fn: Callable[..., Any]) -> None:
    """Register the user modules ``fn`` needs with cloudpickle, so workers need not import them."""
    from ray import cloudpickle

    registered: set[str] = _registered()
    pending = [sys.modules.get(getattr(fn, "__module__", "") or "")]
    while pending:
        module = pending.pop()
        if module is None or module.__name__ in registered or not _is_user_module(module):
            continue
        cloudpickle.register_pickle_by_value(module)  # type: ignore[no-untyped-call]
        registered.add(module.__name__)
        for value in list(vars(module).values()):
            if isinstance(value, types.ModuleType):
                pending.append(value)
            else:
                owner = getattr(value, "__module__", None)
                if isinstance(owner, str) and owner != module.__name__:
                    pending.append(sys.modules.get(owner))


@functools.cache
def _registered() -> set[str]:
    return set()


@functools.cache
def _library_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, site.getusersitepackages()}
    roots.update(site.getsitepackages())
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        with contextlib.suppress(KeyError):
            roots.add(sysconfig.get_paths()[name])
    return tuple(str(Path(r).resolve()) for r in roots if r)


def _is_user_module(module: types.ModuleType) -> bool:
    """A module of the user's own code: a file outside Python's and the environment's folders."""
    name = module.__name__
    if name == "__main__" or name.partition(".")[0] == "shipyard":
        return False  # cloudpickle sends __main__ by value anyway; workers have shipyard
    file = getattr(module, "__file__", None)
    if not file:
        return False
    path = str(Path(file).resolve())
    return not any(path.startswith(root + "/") or path == root for root in _library_roots())


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
