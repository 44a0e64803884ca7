"""``/ui/pipelines`` (pipeline runs) and ``/ui/pipelines/{run_id}`` (one run's DAG and steps).

The page reads ``pipelines.inspect.describe`` — the same view the CLI prints —
and draws the step graph with the lineage layout: steps left to right in
dependency order, each box coloured by its status, cached steps marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request, Response

from shipyard.pipelines.inspect import describe, list_pipeline_runs
from shipyard.pipelines.views import PipelineView, StepView
from shipyard.server.pages.graph_layout import layered_layout
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router

router = page_router()

NODE_HEIGHT = 46.0
LABEL_CHAR = 7.3
DETAIL_CHAR = 6.2
MIN_WIDTH, MAX_WIDTH, PAD = 140.0, 260.0, 16.0
STATUSES = ("pending", "running", "finished", "failed", "cached", "skipped")


@dataclass(frozen=True)
class StepNode:
    id: str
    label: str
    detail: str
    title: str
    href: str
    status: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class StepEdge:
    path: str
    source: str
    target: str


@dataclass(frozen=True)
class DagView:
    nodes: list[StepNode]
    edges: list[StepEdge]
    width: float
    height: float


@router.get("/ui/pipelines")
def pipelines_page(
    request: Request, ws: WorkspaceDep, pipeline: str | None = None, status: str | None = None
) -> Response:
    runs = list_pipeline_runs(
        pipeline=pipeline or None, status=status or None, max_results=200, workspace=ws
    )
    return render(
        request,
        "pipelines.html",
        {"title": "Pipelines", "runs": runs, "pipeline": pipeline or "", "status": status or ""},
    )


@router.get("/ui/pipelines/{run_id}")
def pipeline_page(request: Request, ws: WorkspaceDep, run_id: str) -> Response:
    view = describe(run_id, workspace=ws)
    return render(
        request,
        "pipeline.html",
        {
            "title": view.summary.name,
            "view": view,
            "dag": dag_view(view),
            "counts": {k: v for k, v in view.counts().items() if v},
            "statuses": STATUSES,
        },
    )


def dag_view(view: PipelineView) -> DagView:
    """The step graph of ``view`` laid out left to right, one box per step."""
    if not view.steps:
        return DagView([], [], 0.0, 0.0)
    keys = [s.id for s in view.steps]
    edges = [(up, s.id, "input") for s in view.steps for up in s.upstream if up in keys]
    details = {s.id: _detail(s) for s in view.steps}
    widths = {s.id: _width(s.id, details[s.id]) for s in view.steps}
    layout = layered_layout(
        keys, edges, keys[0], grow="right", widths=widths, node_height=NODE_HEIGHT
    )
    nodes = []
    for s in view.steps:
        box = layout.nodes[s.id]
        title = f"{s.id} ({s.function}) · {s.status}"
        if s.error:
            title += f" · {s.error}"
        nodes.append(
            StepNode(
                id=s.id,
                label=_fit(s.id, int((box.w - PAD) // LABEL_CHAR)),
                detail=_fit(details[s.id], int((box.w - PAD) // DETAIL_CHAR)),
                title=title,
                href=f"/ui/runs/{quote(s.run_id, safe='')}" if s.run_id else f"#step-{s.id}",
                status=s.status,
                x=box.x,
                y=box.y,
                w=box.w,
                h=box.h,
            )
        )
    drawn = [StepEdge(r.path, r.source, r.target) for r in layout.edges]
    return DagView(nodes, drawn, round(layout.width, 1), round(layout.height, 1))


def _detail(step: StepView) -> str:
    if step.status == "cached" and step.cached_from:
        return f"reused from run {step.cached_from[:8]}"
    parts: list[str] = [step.status]
    if step.duration_ms is not None and step.status != "cached":
        parts.append(_seconds(step.duration_ms))
    if step.attempts > 1:
        parts.append(f"{step.attempts} attempts")
    return " · ".join(parts)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s" if ms < 60_000 else f"{ms / 60_000:.1f} min"


def _width(label: str, detail: str) -> float:
    wanted = max(len(label) * LABEL_CHAR, len(detail) * DETAIL_CHAR) + PAD * 2.5
    return float(min(max(wanted, MIN_WIDTH), MAX_WIDTH))


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"
