"""Running a pipeline: start its run, trace its body into a graph, schedule the steps.

A pipeline run is a tracking run tagged ``shipyard.kind=pipeline``; its
params are the pipeline's arguments (defaults included) and its artifact
``pipeline.json`` holds the graph: every step with its id, function, upstream
steps, params and (once known) cache key. ``resume`` starts a new run of the
same pipeline with the same params, tagged ``shipyard.resumed_from``, reusing
the outputs of every step that finished in the old run and is unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import Conflict, InvalidInput, ShipyardError
from shipyard.pipelines import tags as T
from shipyard.pipelines.cache import Reusable, reusable_outputs
from shipyard.pipelines.errors import PipelineFailed
from shipyard.pipelines.executors import Executor, open_executor
from shipyard.pipelines.graph import Graph
from shipyard.pipelines.inspect import child_runs, describe, read_graph, summary
from shipyard.pipelines.loader import load_pipeline
from shipyard.pipelines.pipeline_decorator import Pipeline
from shipyard.pipelines.ray_cluster import workspace_env
from shipyard.pipelines.result import PipelineResult
from shipyard.pipelines.scheduler import RunInfo, Scheduler, StepState
from shipyard.pipelines.trace import Trace, current_trace, tracing
from shipyard.pipelines.values import ValueRef, store_value
from shipyard.pipelines.views import PipelineView
from shipyard.store.records import ParamValue
from shipyard.tracking.api import start_run
from shipyard.tracking.run import ActiveRun
from shipyard.workspace import Workspace, current_workspace

Progress = Callable[[PipelineView], None]


def run(
    pipeline: Pipeline,
    params: Mapping[str, Any] | None = None,
    *,
    executor: str = "local",
    ray_address: str | None = None,
    cache: bool = True,
    max_parallel: int | None = None,
    progress: Progress | None = None,
    workspace: Workspace | None = None,
) -> PipelineResult:
    """Run ``pipeline`` with ``params`` and return once every step has finished.

    Args:
        executor: ``local`` (forked processes), ``ray`` or ``inline``.
        ray_address: a Ray cluster (``ray://host:10001``); default: a local instance.
        cache: reuse the outputs of unchanged steps (``False`` executes every step).
        max_parallel: steps running at once (default: the CPU count; no limit for Ray).
        progress: called with the live ``PipelineView`` whenever a step changes.

    Raises:
        PipelineFailed: a step failed after its retries; ``run_id`` names the run to resume.
    """
    return _execute(
        pipeline,
        params,
        executor=executor,
        ray_address=ray_address,
        cache=cache,
        max_parallel=max_parallel,
        progress=progress,
        ws=workspace or current_workspace(),
    )


def resume(
    run_id: str,
    *,
    executor: str | None = None,
    ray_address: str | None = None,
    cache: bool = True,
    max_parallel: int | None = None,
    progress: Progress | None = None,
    workspace: Workspace | None = None,
) -> PipelineResult:
    """Run a failed pipeline run again from where it failed, as a new run.

    Steps that finished in the old run are reused (even with ``cache=False``)
    as long as their code, params and inputs are unchanged; the failed step
    and everything downstream execute. The executor defaults to the old run's.
    """
    ws = workspace or current_workspace()
    old = ws.store.runs.get(run_id)
    if old.tags.get(T.KIND) != T.PIPELINE_KIND:
        raise InvalidInput(f"run {old.id[:8]} is not a pipeline run; only pipeline runs resume")
    if old.status == "running":
        raise Conflict(f"pipeline run {old.id[:8]} is still running; resume it once it has ended")
    if old.status == "finished":
        raise Conflict(
            f"pipeline run {old.id[:8]} finished, so there is nothing to resume; run the pipeline "
            "again (unchanged steps come from the cache)"
        )
    pipeline = load_pipeline(old.tags.get(T.PIPELINE, ""), old.tags.get(T.PIPELINE_FILE))
    params = read_graph(ws, old.id).get("params") or {}
    return _execute(
        pipeline,
        params,
        executor=executor or old.tags.get(T.EXECUTOR, "local"),
        ray_address=ray_address,
        cache=cache,
        max_parallel=max_parallel,
        progress=progress,
        ws=ws,
        resumed_from=old.id,
        reuse=_finished_steps(ws, old.id),
    )


def _execute(
    pipeline: Pipeline,
    params: Mapping[str, Any] | None,
    *,
    executor: str,
    ray_address: str | None,
    cache: bool,
    max_parallel: int | None,
    progress: Progress | None,
    ws: Workspace,
    resumed_from: str | None = None,
    reuse: dict[str, tuple[str, Reusable]] | None = None,
) -> PipelineResult:
    if current_trace() is not None:
        raise InvalidInput("pipelines do not nest: call the steps of the inner pipeline instead")
    if not isinstance(pipeline, Pipeline):
        raise InvalidInput(f"{pipeline!r} is not a @sy.pipeline function")
    if max_parallel is not None and (
        isinstance(max_parallel, bool) or not isinstance(max_parallel, int) or max_parallel < 1
    ):
        raise InvalidInput(f"max_parallel must be a whole number >= 1, got {max_parallel!r}")
    values = pipeline.bind(params)
    engine = open_executor(executor, ws, ray_address)
    try:
        with start_run(
            experiment=pipeline.experiment,
            name=pipeline.name,
            params=_flat(values),
            tags=_run_tags(pipeline, engine, resumed_from),
            workspace=ws,
        ) as run:
            try:
                _run_graph(pipeline, values, run, engine, ws, cache, max_parallel, progress, reuse)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                message = exc.message if isinstance(exc, ShipyardError) else str(exc)
                run.set_tag(T.ERROR, T.one_line(f"{type(exc).__name__}: {message}"))
                raise
    finally:
        engine.close()
    return PipelineResult(run.id, describe(run.id, workspace=ws), ws)


def _run_graph(
    pipeline: Pipeline,
    values: dict[str, Any],
    run: ActiveRun,
    engine: Executor,
    ws: Workspace,
    cache: bool,
    max_parallel: int | None,
    progress: Progress | None,
    reuse: dict[str, tuple[str, Reusable]] | None,
) -> None:
    run.log_dict(
        {"format": 1, "pipeline": pipeline.ref, "params": values, "steps": []}, T.PIPELINE_ARTIFACT
    )
    graph = _trace(pipeline, values, run, ws)
    run.log_dict(graph.to_dict(pipeline.ref, values), T.PIPELINE_ARTIFACT)
    on_change = None
    if progress is not None:
        head = summary(ws.store.runs.get(run.id))
        on_change = lambda steps: progress(PipelineView(head, values, steps))  # noqa: E731
    scheduler = Scheduler(
        ws,
        RunInfo(run.id, run.experiment, run.experiment_id, workspace_env(ws)),
        graph,
        engine,
        max_parallel=max_parallel,
        use_cache=cache,
        reuse=reuse,
        on_change=on_change,
    )
    states = scheduler.run()
    keys = {s.node.id: s.cache_key for s in states if s.cache_key}
    run.log_dict(graph.to_dict(pipeline.ref, values, keys), T.PIPELINE_ARTIFACT)
    if scheduler.failed is not None:
        raise PipelineFailed(_failure(scheduler.failed, run.id), run.id, scheduler.failed.node.id)


def _trace(pipeline: Pipeline, values: dict[str, Any], run: ActiveRun, ws: Workspace) -> Graph:
    def keep(value: Any, where: str) -> ValueRef:
        ref = store_value(ws, value)
        ws.store.artifacts.add(run.id, ref.artifacts(f"inputs/{_safe_path(where)}"))
        return ref

    trace = Trace(keep)
    try:
        with tracing(trace):
            pipeline.fn(**values)
    except ShipyardError:
        raise
    except Exception as exc:
        raise PipelineFailed(
            f"the body of pipeline {pipeline.name} raised {type(exc).__name__}: {exc} (it runs "
            "once, before any step, to wire the steps together)",
            run.id,
        ) from exc
    return trace.graph(pipeline.name)


def _failure(state: StepState, run_id: str) -> str:
    tries = f"after {state.attempts} attempts" if state.attempts > 1 else "on its first attempt"
    logs = f"; logs: shipyard runs show {state.run_id[:8]}" if state.run_id else ""
    return (
        f"step {state.node.id} failed {tries}: {state.error}{logs}; "
        f"resume with: shipyard pipelines resume {run_id[:8]}"
    )


def _finished_steps(ws: Workspace, run_id: str) -> dict[str, tuple[str, Reusable]]:
    """Step id → (cache key, outputs) for every step that finished in run ``run_id``."""
    found: dict[str, tuple[str, Reusable]] = {}
    for child in child_runs(ws, run_id):
        step_id, key = child.tags.get(T.STEP), child.tags.get(T.CACHE_KEY)
        if child.status != "finished" or step_id is None or key is None:
            continue
        outputs = reusable_outputs(ws, child.id)
        if outputs is not None:
            found[step_id] = (key, outputs)
    return found


def _run_tags(pipeline: Pipeline, engine: Executor, resumed_from: str | None) -> dict[str, str]:
    tags = {T.KIND: T.PIPELINE_KIND, T.PIPELINE: pipeline.ref, T.EXECUTOR: engine.name}
    file = pipeline.fn.__code__.co_filename  # also right for modules loaded outside sys.modules
    if Path(file).is_file():
        tags[T.PIPELINE_FILE] = str(Path(file).resolve())
    if resumed_from:
        tags[T.RESUMED_FROM] = resumed_from
    return tags


def _flat(values: dict[str, Any]) -> dict[str, ParamValue]:
    out: dict[str, ParamValue] = {}
    for key, value in values.items():
        if value is None or isinstance(value, str | int | float | bool):
            out[key] = value
        else:
            text = json.dumps(value, sort_keys=True)
            out[key] = text if len(text) <= 2000 else text[:1999] + "…"
    return out


def _safe_path(where: str) -> str:
    return re.sub(r"[^A-Za-z0-9_./-]+", "_", where).strip("_") or "value"
