"""One attempt of one step, as a worker runs it: a child run with inputs, outputs and logs.

Every executor ends up calling ``run_attempt`` in the process that executes
the step (a forked process, a Ray worker, or the driver itself for
``inline``). The attempt is a child run of the pipeline run, started here so
that its start and end times are those of the execution; inside it the step
run is the active run, so ``sy.active_run()``, ``log_metric`` and
``sy.models.register`` inside a step go to it. Whatever the step prints, and
the traceback when it raises, become the artifact ``logs.txt``.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.core.errors import ShipyardError
from shipyard.pipelines import tags as T
from shipyard.pipelines.capture import captured_output, read_log
from shipyard.pipelines.errors import UnstorableValue
from shipyard.pipelines.graph import Spec, map_specs
from shipyard.pipelines.values import ValueRef, load_value, store_value
from shipyard.store.records import ParamValue
from shipyard.tracking.api import start_run
from shipyard.tracking.run import ActiveRun
from shipyard.workspace import Workspace, current_workspace, reset_workspaces

_SETTINGS_VARS = (
    "SHIPYARD_HOME",
    "SHIPYARD_DB",
    "SHIPYARD_BLOBS",
    "SHIPYARD_URI",
    "SHIPYARD_TOKEN",
)


@dataclass
class AttemptTask:
    """What a worker needs to run one attempt; JSON-able (the function travels beside it).

    ``arguments`` are the step's argument specs with every input resolved to a
    stored value: ``{"value": ValueRef dict, "from": "split[0]"}``.
    """

    pipeline_run_id: str
    experiment: str
    step_id: str
    function: str
    attempt: int
    cache_key: str
    arguments: dict[str, Spec]
    params: dict[str, ParamValue]
    outputs: int
    workspace_env: dict[str, str]
    log_path: str | None = None

    def tags(self) -> dict[str, str]:
        return {
            T.KIND: T.STEP_KIND,
            T.STEP: self.step_id,
            T.FUNCTION: self.function,
            T.ATTEMPT: str(self.attempt),
            T.CACHE_KEY: self.cache_key,
        }

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AttemptTask:
        return cls(**d)


@dataclass
class AttemptOutcome:
    """How an attempt ended. ``retryable`` is false for errors a retry cannot fix."""

    step_id: str
    attempt: int
    status: str  # finished | failed | killed
    run_id: str | None = None
    outputs: list[ValueRef] = field(default_factory=list)
    error: str | None = None
    retryable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "outputs": [o.to_dict() for o in self.outputs]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AttemptOutcome:
        return cls(**{**d, "outputs": [ValueRef.from_dict(o) for o in d.get("outputs") or []]})


def run_attempt(task: AttemptTask, fn: Callable[..., Any], ws: Workspace) -> AttemptOutcome:
    """Run the step function once as a child run of the pipeline run and store its outputs."""
    with _log_file(task) as log_path:
        outcome = AttemptOutcome(task.step_id, task.attempt, "failed")
        run: ActiveRun | None = None
        with captured_output(log_path):
            try:
                run = start_run(
                    experiment=task.experiment,
                    name=task.step_id,
                    params=task.params,
                    tags=task.tags(),
                    parent=task.pipeline_run_id,
                    workspace=ws,
                )
                outcome.run_id = run.id
                run.log_dict({"arguments": task.arguments}, T.INPUTS_ARTIFACT)
                outcome.outputs = _execute(task, fn, ws, run)
                outcome.status = "finished"
            except KeyboardInterrupt:
                outcome.status, outcome.error = "killed", "interrupted"
            except BaseException as exc:
                traceback.print_exception(type(exc), exc, exc.__traceback__)
                outcome.error = T.one_line(f"{type(exc).__name__}: {_message(exc)}")
                outcome.retryable = not isinstance(exc, UnstorableValue)
        if run is not None:
            _close(run, outcome, read_log(log_path))
    return outcome


def _execute(
    task: AttemptTask, fn: Callable[..., Any], ws: Workspace, run: ActiveRun
) -> list[ValueRef]:
    frames: list[Any] = []

    def leaf(spec: Spec) -> Any:
        if "const" in spec:
            return copy.deepcopy(spec["const"])
        value = load_value(ws, ValueRef.from_dict(spec["value"]))
        if type(value).__name__ == "DataFrame" and hasattr(value, "head"):
            frames.append(value)
        return value

    arguments = {name: map_specs(spec, leaf) for name, spec in task.arguments.items()}
    bound = inspect.BoundArguments(inspect.signature(fn), arguments)
    result = fn(*bound.args, **bound.kwargs)
    values = _split(result, task.outputs, task.step_id)
    refs = [store_value(ws, value, frames) for value in values]
    entries = [e for i, ref in enumerate(refs) for e in ref.artifacts(f"outputs/{i}")]
    ws.store.artifacts.add(run.id, entries)
    run.log_dict({"outputs": [r.to_dict() for r in refs]}, T.OUTPUTS_ARTIFACT)
    return refs


def _split(result: Any, count: int, step_id: str) -> list[Any]:
    if count == 1:
        return [result]
    if not isinstance(result, tuple | list) or len(result) != count:
        got = f"{len(result)} values" if isinstance(result, tuple | list) else type(result).__name__
        raise UnstorableValue(
            f"step {step_id} declares {count} outputs (its tuple[...] annotation or outputs=) "
            f"but returned {got}"
        )
    return list(result)


def _close(run: ActiveRun, outcome: AttemptOutcome, log: str) -> None:
    """Record the logs and the error, then end the run; a store failure fails the attempt."""
    try:
        run.log_text(log, T.LOGS_ARTIFACT)
        if outcome.error:
            run.set_tag(T.ERROR, outcome.error)
        run.end(outcome.status)  # type: ignore[arg-type]
    except Exception as exc:
        outcome.status = "failed"
        outcome.error = T.one_line(f"could not record the step run: {type(exc).__name__}: {exc}")
        with contextlib.suppress(Exception):
            run.end("failed")


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, ShipyardError) else str(exc)


@contextlib.contextmanager
def _log_file(task: AttemptTask) -> Iterator[Path]:
    if task.log_path:
        yield Path(task.log_path)
        return
    fd, name = tempfile.mkstemp(prefix=f"shipyard-{task.step_id}-", suffix=".log")
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


@contextlib.contextmanager
def worker_workspace(env: dict[str, str]) -> Iterator[Workspace]:
    """Open the driver's workspace in this worker: its settings variables for the block's duration.

    ``sy.datasets.load`` and ``sy.models.register`` inside a step then reach the
    pipeline's store even when this process was started for another one (a Ray
    worker serves tasks of many pipelines, and tests).
    """
    saved = {k: os.environ.get(k) for k in _SETTINGS_VARS}
    for key in _SETTINGS_VARS:
        os.environ.pop(key, None)
    os.environ.update(env)
    reset_workspaces()
    try:
        yield current_workspace()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_workspaces()


def lost_attempt_logs(task: AttemptTask, why: str) -> str:
    """The log of an attempt whose worker died: what it printed (if known) and why it ended."""
    text = read_log(Path(task.log_path)) if task.log_path else ""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}\n[{stamp}] shipyard: {why}\n"


def record_lost_attempt(
    ws: Workspace, task: AttemptTask, why: str, status: str = "failed"
) -> AttemptOutcome:
    """End the run of an attempt whose worker vanished (or record one if it never started).

    The driver calls this when a worker died without reporting (killed, out of
    memory, a crash in native code) or when it cancels attempts on Ctrl-C.
    """
    from shipyard.store.records import RunQuery

    query = RunQuery(
        parent_id=task.pipeline_run_id,
        filter=f"tags.`{T.STEP}` = '{task.step_id}' and tags.`{T.ATTEMPT}` = '{task.attempt}'",
        max_results=1,
    )
    found = ws.store.runs.search(query).runs
    if found:
        run_id = found[0].id
        still_running = found[0].status == "running"
    else:
        experiment = ws.store.experiments.get_or_create(task.experiment)
        run_id = ws.store.runs.create(
            experiment.id,
            task.step_id,
            parent_id=task.pipeline_run_id,
            tags=task.tags(),
            params=task.params,
        ).id
        still_running = True
    error = T.one_line(why)
    if still_running:
        from shipyard.tracking.artifacts import upload_bytes

        upload_bytes(ws, run_id, lost_attempt_logs(task, why).encode(), T.LOGS_ARTIFACT)
        ws.store.run_data.log_batch(run_id, tags={T.ERROR: error})
        ws.store.runs.finish(run_id, status)  # type: ignore[arg-type]
    return AttemptOutcome(task.step_id, task.attempt, status, run_id, error=error)
