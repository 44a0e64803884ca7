"""The scheduler: in the driver's main thread, start every step whose inputs are ready.

A step is ready when all its upstream steps finished (or were cached). Before
executing a ready step the scheduler computes its cache key and looks for
outputs to reuse: from the run being resumed (whatever the cache setting),
else from the cache. Otherwise it submits an attempt to the executor, at most
``max_parallel`` at once, so independent steps run side by side.

A failed attempt is retried after ``retry_delay * backoff**(n-1)`` seconds
while attempts remain; a step out of attempts stops the pipeline: running
steps finish, nothing new starts, and the steps that never ran are skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shipyard.pipelines.attempt import AttemptOutcome, AttemptTask
from shipyard.pipelines.cache import Reusable, cache_key, find_cached
from shipyard.pipelines.executors import Executor
from shipyard.pipelines.graph import Graph, Spec, StepNode
from shipyard.pipelines.reuse import describe_inputs, record_reuse
from shipyard.pipelines.values import ValueRef
from shipyard.pipelines.views import OutputView, StepStatus, StepView
from shipyard.workspace import Workspace

_TICK_SECONDS = 0.5


@dataclass
class StepState:
    """What the scheduler knows of one step while the pipeline runs."""

    node: StepNode
    status: StepStatus = "pending"
    attempts: int = 0
    run_id: str | None = None
    cache_key: str | None = None
    cached_from: str | None = None
    outputs: list[ValueRef] = field(default_factory=list)
    error: str | None = None
    started: float | None = None
    ended: float | None = None
    not_before: float = 0.0
    inputs: dict[str, str] = field(default_factory=dict)

    def view(self) -> StepView:
        return StepView(
            id=self.node.id,
            name=self.node.name,
            function=self.node.step.ref,
            upstream=list(self.node.upstream),
            status=self.status,
            cache_key=self.cache_key,
            cached_from=self.cached_from,
            run_id=self.run_id,
            attempts=self.attempts,
            start_time=_ms(self.started),
            end_time=_ms(self.ended),
            error=self.error,
            params=self.node.params(),
            inputs=dict(self.inputs),
            outputs=[OutputView(o.codec, o.summary, o.digest, o.size) for o in self.outputs],
        )


@dataclass(frozen=True)
class RunInfo:
    """The pipeline run the scheduler records step runs under."""

    run_id: str
    experiment: str
    experiment_id: int
    workspace_env: dict[str, str]


class Scheduler:
    """Runs one pipeline graph to completion (or to its first unrecoverable failure)."""

    def __init__(
        self,
        ws: Workspace,
        info: RunInfo,
        graph: Graph,
        executor: Executor,
        *,
        max_parallel: int | None,
        use_cache: bool,
        reuse: dict[str, tuple[str, Reusable]] | None = None,
        on_change: Callable[[list[StepView]], None] | None = None,
    ) -> None:
        self.ws = ws
        self.info = info
        self.graph = graph
        self.executor = executor
        self.max_parallel = max_parallel or executor.default_parallel or len(graph)
        self.use_cache = use_cache
        self.reuse = reuse or {}
        self.on_change = on_change
        self.states = {n.id: StepState(n) for n in graph}
        self.failed: StepState | None = None
        self._in_flight = 0

    def run(self) -> list[StepState]:
        """Execute the graph; returns the final state of every step in graph order."""
        try:
            while True:
                if self.failed is None:
                    self._start_ready()
                if self._in_flight == 0 and not self._retry_due():
                    break
                for outcome in self.executor.wait(self._timeout()):
                    self._settle(outcome)
                self._notify()
        except BaseException:
            self.executor.close(cancel=True)
            for state in self.states.values():
                if state.status == "running":
                    state.status, state.error, state.ended = "failed", "interrupted", time.time()
            raise
        for state in self.states.values():
            if state.status == "pending":  # never ran, or a retry that will not come
                state.status = "failed" if state.attempts else "skipped"
        self._notify()
        return list(self.states.values())

    def views(self) -> list[StepView]:
        return [s.view() for s in self.states.values()]

    # -- starting steps -----------------------------------------------------------
    def _start_ready(self) -> None:
        progress = True
        while progress:
            progress = False
            for state in self.states.values():
                if self._in_flight >= self.max_parallel:
                    return
                if state.status != "pending" or time.time() < state.not_before:
                    continue
                upstream = [self.states[u] for u in state.node.upstream]
                if not all(u.status in ("finished", "cached") for u in upstream):
                    continue
                arguments = {k: self._resolve(s) for k, s in state.node.arguments.items()}
                if state.cache_key is None:
                    state.cache_key = cache_key(state.node, arguments)
                    state.inputs = describe_inputs(arguments)
                if state.attempts == 0 and self._reuse(state, arguments):
                    progress = True
                    continue
                self._submit(state, arguments)

    def _resolve(self, spec: Spec) -> Spec:
        """The spec with each upstream output replaced by its stored value."""
        if "items" in spec:
            return {**spec, "items": [self._resolve(s) for s in spec["items"]]}
        if "entries" in spec:
            return {"entries": {k: self._resolve(s) for k, s in spec["entries"].items()}}
        if "step" in spec:
            upstream = self.states[spec["step"]]
            index = int(spec["output"])
            source = spec["step"] if upstream.node.step.outputs == 1 else f"{spec['step']}[{index}]"
            return {"value": upstream.outputs[index].to_dict(), "from": source}
        if "value" in spec:
            return {**spec, "from": "pipeline"}
        return spec

    def _reuse(self, state: StepState, arguments: dict[str, Spec]) -> bool:
        key = state.cache_key
        assert key is not None
        source = None
        previous = self.reuse.get(state.node.id)
        if previous is not None and previous[0] == key:
            source = previous[1]
        elif self.use_cache and state.node.step.options.cache:
            source = find_cached(self.ws, key)
        if source is None or len(source.outputs) != state.node.step.outputs:
            return False
        now = time.time()
        state.run_id = record_reuse(
            self.ws,
            self.info.run_id,
            self.info.experiment_id,
            state.node,
            key,
            source,
            arguments,
            why="resumed" if previous is not None else "cached",
        )
        state.status, state.cached_from, state.outputs = "cached", source.run_id, source.outputs
        state.started = state.ended = now
        return True

    def _submit(self, state: StepState, arguments: dict[str, Spec]) -> None:
        state.attempts += 1
        state.status = "running"
        state.started = state.started or time.time()
        state.run_id = None
        task = AttemptTask(
            pipeline_run_id=self.info.run_id,
            experiment=self.info.experiment,
            step_id=state.node.id,
            function=state.node.step.ref,
            attempt=state.attempts,
            cache_key=state.cache_key or "",
            arguments=arguments,
            params=state.node.params(),
            outputs=state.node.step.outputs,
            workspace_env=dict(self.info.workspace_env),
        )
        self._in_flight += 1
        self.executor.submit(task, state.node.step.fn)
        self._notify()

    # -- outcomes ---------------------------------------------------------------
    def _settle(self, outcome: AttemptOutcome) -> None:
        state = self.states[outcome.step_id]
        self._in_flight -= 1
        state.run_id = outcome.run_id or state.run_id
        if outcome.status == "finished":
            state.status, state.outputs, state.error = "finished", outcome.outputs, None
            state.ended = time.time()
            return
        state.error = outcome.error or f"attempt ended as {outcome.status}"
        retry = (
            outcome.status == "failed"
            and outcome.retryable
            and state.attempts < state.node.max_attempts
            and self.failed is None
        )
        if retry:
            state.status = "pending"
            state.not_before = time.time() + state.node.step.options.delay_before(
                state.attempts + 1
            )
            return
        state.status, state.ended = "failed", time.time()
        if self.failed is None:
            self.failed = state

    def _retry_due(self) -> bool:
        if self.failed is not None:
            return False
        return any(s.status == "pending" and s.attempts > 0 for s in self.states.values())

    def _timeout(self) -> float:
        waits = [
            s.not_before - time.time()
            for s in self.states.values()
            if s.status == "pending" and s.attempts > 0
        ]
        if not waits:
            return _TICK_SECONDS
        return max(0.0, min(_TICK_SECONDS, *waits))

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change(self.views())


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)
