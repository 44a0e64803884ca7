"""The ``inline`` executor: attempts run one at a time inside the calling process.

No isolation and no parallelism, but a debugger's breakpoints in a step work,
and nothing is forked or shipped. Steps still become child runs with their
inputs, outputs and logs, so everything else behaves as with ``local``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shipyard.pipelines.attempt import AttemptOutcome, AttemptTask, run_attempt
from shipyard.workspace import Workspace


class InlineExecutor:
    """Runs each attempt when it is submitted, in this process."""

    name = "inline"
    default_parallel: int | None = 1

    def __init__(self, ws: Workspace, address: str | None = None) -> None:
        self.ws = ws
        self._done: list[AttemptOutcome] = []

    def submit(self, task: AttemptTask, fn: Callable[..., Any]) -> None:
        outcome = run_attempt(task, fn, self.ws)
        if outcome.status == "killed":  # Ctrl-C landed in the step: it is this process's
            raise KeyboardInterrupt
        self._done.append(outcome)

    def running(self) -> int:
        return len(self._done)

    def wait(self, timeout: float) -> list[AttemptOutcome]:
        done, self._done = self._done, []
        if not done:
            time.sleep(max(0.0, timeout))
        return done

    def close(self, cancel: bool = False) -> None:
        self._done.clear()
