"""``/api/v1/evals``: finished evaluations, their cases, comparisons and reports, as JSON.

* ``GET /evals`` — evaluations, newest first (``target``, ``data``, ``model``, ``limit``);
* ``GET /evals/compare?baseline=&candidate=`` — the ``Comparison`` (``metric``, ``level``);
* ``GET /evals/report?runs=a,b,c`` — several evaluations of one dataset against a baseline;
* ``GET /evals/{run_id}`` — one evaluation: metrics, details, target info (no cases);
* ``GET /evals/{run_id}/cases`` — its cases, a page at a time (``only=wrong|errors``).

Unknown runs answer 404, evaluations of different data 400, both as the
usual ``{"error": {"type", "message"}}`` body.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from shipyard.evals.quick_compare import compare_quickly
from shipyard.evals.report import build_report, parse_run_list
from shipyard.evals.storage import list_evaluations, load_evaluation
from shipyard.server.api.eval_views import (
    case_page,
    load_view,
    summary_dict,
)
from shipyard.server.deps import workspace
from shipyard.workspace import Workspace

router = APIRouter(tags=["evals"])
WorkspaceDep = Annotated[Workspace, Depends(workspace)]
Level = Annotated[float, Query(gt=0, lt=1, description="significance level, e.g. 0.05")]


@router.get("/evals")
def list_route(
    ws: WorkspaceDep,
    target: str | None = None,
    data: str | None = None,
    model: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Finished evaluations, newest first; ``model:x`` (no ``@``) matches every version."""
    found = list_evaluations(
        target=target or None, data=data or None, model=model or None, limit=limit, workspace=ws
    )
    return {"evaluations": [summary_dict(s) for s in found]}


@router.get("/evals/compare")
def compare_route(
    ws: WorkspaceDep,
    baseline: str,
    candidate: str,
    metric: str | None = None,
    level: Level = 0.05,
) -> dict[str, Any]:
    """The candidate against the baseline: wins, deltas with intervals, the verdict."""
    base = load_evaluation(baseline, workspace=ws)
    cand = load_evaluation(candidate, workspace=ws)
    return compare_quickly(base, cand, metric=metric, level=level).to_dict()


@router.get("/evals/report")
def report_route(
    ws: WorkspaceDep,
    runs: Annotated[list[str], Query()],
    baseline: str | None = None,
    metric: str | None = None,
    level: Level = 0.05,
) -> dict[str, Any]:
    """Several evaluations of one dataset side by side, each tested against ``baseline``."""
    report = build_report(ws, parse_run_list(runs), baseline=baseline, metric=metric, level=level)
    return report.to_dict()


@router.get("/evals/{run_id}")
def get_route(ws: WorkspaceDep, run_id: str) -> dict[str, Any]:
    """One evaluation: its metrics, details (confusion matrix...) and target, without cases."""
    return load_view(ws, run_id).to_dict()


@router.get("/evals/{run_id}/cases")
def cases_route(
    ws: WorkspaceDep,
    run_id: str,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    only: str = "all",
) -> dict[str, Any]:
    """A page of cases: ``only=wrong`` (answered wrong) or ``only=errors`` (the target raised)."""
    result = load_evaluation(run_id, workspace=ws)
    return case_page(result, only, offset, limit).to_dict()
