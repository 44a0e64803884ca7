"""What a pipeline run looks like to people and programs: the CLI, the UI, ``--json``.

``PipelineView`` is one execution with a ``StepView`` per step;
``PipelineRunSummary`` is a line in a listing. Both are plain data with
``to_dict()`` for JSON. ``inspect.describe`` builds a view from the store; the
scheduler builds the same view from its live state for progress displays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StepStatus = Literal["pending", "running", "finished", "failed", "cached", "skipped"]
STEP_STATUSES: tuple[StepStatus, ...] = (
    "pending",
    "running",
    "finished",
    "failed",
    "cached",
    "skipped",
)


@dataclass(frozen=True)
class OutputView:
    """One stored output: its codec (``pandas``, ``model``, …), a summary, digest and size."""

    codec: str
    summary: str
    digest: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "codec": self.codec,
            "summary": self.summary,
            "digest": self.digest,
            "size": self.size,
        }


@dataclass(frozen=True)
class StepView:
    """One step of a pipeline run.

    Attributes:
        id: unique in the run (``split``, ``split_2`` for a second call).
        name: the step function's name; ``function`` its ``module:qualname``.
        upstream: ids of the steps whose outputs it takes.
        status: pending, running, finished, failed, cached or skipped.
        cache_key: SHA-256 hex of code, params and inputs (None until inputs exist).
        cached_from: the run whose outputs a cached step reused.
        run_id: its latest child run (an attempt, or the record of a reuse).
        attempts: executions so far (0 for a cached step).
        start_time, end_time: epoch milliseconds over all attempts.
        error: one line, for a failed step.
        params: its JSON arguments; inputs: where each other argument came from.
        outputs: what it produced, once finished or cached.
    """

    id: str
    name: str
    function: str
    upstream: list[str]
    status: StepStatus
    cache_key: str | None = None
    cached_from: str | None = None
    run_id: str | None = None
    attempts: int = 0
    start_time: int | None = None
    end_time: int | None = None
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: list[OutputView] = field(default_factory=list)

    @property
    def duration_ms(self) -> int | None:
        if self.start_time is None or self.end_time is None:
            return None
        return self.end_time - self.start_time

    @property
    def cached(self) -> bool:
        return self.status == "cached"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "function": self.function,
            "upstream": list(self.upstream),
            "status": self.status,
            "cached": self.cached,
            "cache_key": self.cache_key,
            "cached_from": self.cached_from,
            "run_id": self.run_id,
            "attempts": self.attempts,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "params": dict(self.params),
            "inputs": dict(self.inputs),
            "outputs": [o.to_dict() for o in self.outputs],
        }


@dataclass(frozen=True)
class PipelineRunSummary:
    """One pipeline run in a listing."""

    run_id: str
    name: str
    pipeline: str
    experiment: str
    status: str
    start_time: int
    end_time: int | None = None
    executor: str | None = None
    resumed_from: str | None = None
    error: str | None = None

    @property
    def duration_ms(self) -> int | None:
        return None if self.end_time is None else self.end_time - self.start_time

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "name": self.name,
            "pipeline": self.pipeline,
            "experiment": self.experiment,
            "status": self.status,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration_ms": self.duration_ms,
            "executor": self.executor,
            "resumed_from": self.resumed_from,
            "error": self.error,
        }


@dataclass(frozen=True)
class PipelineView:
    """One pipeline run with its steps in graph order (upstream before downstream)."""

    summary: PipelineRunSummary
    params: dict[str, Any]
    steps: list[StepView]

    @property
    def run_id(self) -> str:
        return self.summary.run_id

    @property
    def status(self) -> str:
        return self.summary.status

    def step(self, step_id: str) -> StepView:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def counts(self) -> dict[str, int]:
        """How many steps are in each status."""
        out: dict[str, int] = dict.fromkeys(STEP_STATUSES, 0)
        for s in self.steps:
            out[s.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary.to_dict(),
            "params": dict(self.params),
            "counts": self.counts(),
            "steps": [s.to_dict() for s in self.steps],
        }
