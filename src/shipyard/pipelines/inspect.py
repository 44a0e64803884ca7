"""Reading pipeline runs back from the store: the service behind the CLI and the UI.

``describe(run_id)`` rebuilds a ``PipelineView`` from the pipeline run, its
``pipeline.json`` (the graph) and its child runs (one per attempt or reuse);
``list_pipeline_runs()`` lists pipeline runs newest first. Both work while a
pipeline is still running: steps without a run yet are ``pending``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from shipyard.blobs.integrity import open_verified
from shipyard.core.errors import InvalidInput
from shipyard.pipelines import tags as T
from shipyard.pipelines.cache import read_outputs
from shipyard.pipelines.reuse import describe_inputs
from shipyard.pipelines.views import (
    OutputView,
    PipelineRunSummary,
    PipelineView,
    StepStatus,
    StepView,
)
from shipyard.store.records import ArtifactEntry, Run, RunQuery
from shipyard.workspace import Workspace, current_workspace

_PAGE = 1000


def describe(run_id: str, *, workspace: Workspace | None = None) -> PipelineView:
    """The pipeline run ``run_id`` (an id or a unique prefix) with the state of every step."""
    ws = workspace or current_workspace()
    run = ws.store.runs.get(run_id)
    if run.tags.get(T.KIND) != T.PIPELINE_KIND:
        raise InvalidInput(
            f"run {run.id[:8]} is not a pipeline run; `shipyard pipelines list` shows them"
        )
    graph = read_graph(ws, run.id)
    by_step: dict[str, list[Run]] = defaultdict(list)
    for child in child_runs(ws, run.id):
        step_id = child.tags.get(T.STEP)
        if step_id is not None:
            by_step[step_id].append(child)
    steps = [
        _step_view(ws, step, sorted(by_step.get(step["id"], []), key=_attempt_order), run.status)
        for step in graph.get("steps", [])
    ]
    return PipelineView(summary(run), dict(graph.get("params") or {}), steps)


def list_pipeline_runs(
    pipeline: str | None = None,
    status: str | None = None,
    max_results: int = 50,
    *,
    workspace: Workspace | None = None,
) -> list[PipelineRunSummary]:
    """Pipeline runs, newest first; ``pipeline`` is its name or ``module:qualname``."""
    ws = workspace or current_workspace()
    clauses = [f"tags.`{T.KIND}` = '{T.PIPELINE_KIND}'"]
    if pipeline:
        quoted = _quote(pipeline)
        clauses.append(f"(tags.`{T.PIPELINE}` = {quoted} or name = {quoted})")
    if status:
        clauses.append(f"status = {_quote(status)}")
    query = RunQuery(
        filter=" and ".join(clauses), order_by=["start_time desc"], max_results=max_results
    )
    return [summary(r) for r in ws.store.runs.search(query).runs]


def summary(run: Run) -> PipelineRunSummary:
    return PipelineRunSummary(
        run_id=run.id,
        name=run.name,
        pipeline=run.tags.get(T.PIPELINE, ""),
        experiment=run.experiment,
        status=run.status,
        start_time=run.start_time,
        end_time=run.end_time,
        executor=run.tags.get(T.EXECUTOR),
        resumed_from=run.tags.get(T.RESUMED_FROM),
        error=run.tags.get(T.ERROR),
    )


def read_graph(ws: Workspace, run_id: str) -> dict[str, Any]:
    """The run's ``pipeline.json`` (pipeline, params, steps), or an empty graph."""
    for entry in ws.store.artifacts.list(run_id):
        if entry.path == T.PIPELINE_ARTIFACT:
            with open_verified(ws.blobs, entry.digest, f"{T.PIPELINE_ARTIFACT} of {run_id}") as fh:
                body: dict[str, Any] = json.loads(fh.read().decode("utf-8"))
            return body
    return {"steps": [], "params": {}}


def child_runs(ws: Workspace, run_id: str) -> list[Run]:
    """Every child run of ``run_id``, oldest first."""
    runs: list[Run] = []
    token = None
    while True:
        page = ws.store.runs.search(
            RunQuery(
                parent_id=run_id,
                order_by=["start_time asc"],
                max_results=_PAGE,
                page_token=token,
            )
        )
        runs.extend(page.runs)
        token = page.next_page_token
        if not token:
            return runs


def _attempt_order(run: Run) -> tuple[int, int]:
    try:
        attempt = int(run.tags.get(T.ATTEMPT, "0"))
    except ValueError:
        attempt = 0
    return (run.start_time, attempt)


def _step_view(
    ws: Workspace, step: dict[str, Any], runs: list[Run], pipeline_status: str
) -> StepView:
    last = runs[-1] if runs else None
    attempts = sum(1 for r in runs if r.tags.get(T.ATTEMPT, "0") != "0")
    status = _status(last, pipeline_status, attempts, int(step.get("retries", 0)) + 1)
    entries = ws.store.artifacts.list(last.id) if last is not None else []
    outputs = _outputs(ws, entries) if status in ("finished", "cached") else []
    inputs = _inputs(ws, entries)
    return StepView(
        id=str(step["id"]),
        name=str(step.get("name", step["id"])),
        function=str(step.get("function", "")),
        upstream=[str(u) for u in step.get("upstream", [])],
        status=status,
        cache_key=(last.tags.get(T.CACHE_KEY) if last else None) or step.get("cache_key"),
        cached_from=last.tags.get(T.CACHED_FROM) if last else None,
        run_id=last.id if last else None,
        attempts=attempts,
        start_time=runs[0].start_time if runs else None,
        end_time=last.end_time if last else None,
        error=last.tags.get(T.ERROR) if last and status == "failed" else None,
        params=dict(step.get("params") or {}),
        inputs=inputs,
        outputs=outputs,
    )


def _status(last: Run | None, pipeline_status: str, attempts: int, max_attempts: int) -> StepStatus:
    if last is None:
        return "pending" if pipeline_status == "running" else "skipped"
    if last.status == "running":
        return "running" if pipeline_status == "running" else "failed"
    if last.status == "finished":
        return "cached" if T.CACHED_FROM in last.tags else "finished"
    if pipeline_status == "running" and attempts < max_attempts:
        return "pending"  # a retry is due
    return "failed"


def _outputs(ws: Workspace, entries: list[ArtifactEntry]) -> list[OutputView]:
    manifest = next((e for e in entries if e.path == T.OUTPUTS_ARTIFACT), None)
    if manifest is None:
        return []
    return [OutputView(r.codec, r.summary, r.digest, r.size) for r in read_outputs(ws, manifest)]


def _inputs(ws: Workspace, entries: list[ArtifactEntry]) -> dict[str, str]:
    for entry in entries:
        if entry.path == T.INPUTS_ARTIFACT:
            with open_verified(ws.blobs, entry.digest, f"artifact {T.INPUTS_ARTIFACT}") as fh:
                body = json.loads(fh.read().decode("utf-8"))
            return describe_inputs(body.get("arguments") or {})
    return {}


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
