"""What an executor is: somewhere step attempts run while the driver's scheduler waits.

The scheduler (in the driver's main thread) decides what runs when; an
executor only starts attempts and reports how they ended. Scheduling across
machines is Ray's job, not ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from shipyard.pipelines.attempt import AttemptOutcome, AttemptTask


class Executor(Protocol):
    """Runs step attempts; four methods.

    Attributes:
        name: the registry key (``local``, ``ray``, ``inline``).
        default_parallel: attempts in flight when the caller sets no limit
            (``None``: no limit of ours; the backend queues by its resources).
    """

    name: str
    default_parallel: int | None

    def submit(self, task: AttemptTask, fn: Callable[..., Any]) -> None:
        """Start one attempt of ``fn``; its outcome comes back from ``wait``."""
        ...

    def wait(self, timeout: float) -> list[AttemptOutcome]:
        """The attempts that ended, waiting up to ``timeout`` seconds for at least one."""
        ...

    def running(self) -> int:
        """How many attempts have been submitted and not yet returned by ``wait``."""
        ...

    def close(self, cancel: bool = False) -> None:
        """Release resources; with ``cancel``, stop running attempts and mark them killed."""
        ...
