"""``/ui/evals`` (every evaluation) and ``/ui/evals/{run_id}`` (one, with its charts and cases).

The comparison and report pages live in ``eval_compare``; their routes are
included here first, so ``/ui/evals/compare`` is not taken for a run id.
Everything shown comes from ``server.api.eval_views``, as the REST API does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.evals.quick_compare import quality_metrics
from shipyard.evals.results import CaseResult
from shipyard.evals.storage import EvaluationSummary, list_evaluations
from shipyard.server.api.eval_views import (
    CASE_FILTERS,
    EvaluationView,
    case_counts,
    case_page,
    is_correct,
    load_view,
    per_class,
)
from shipyard.server.pages import eval_charts, eval_compare
from shipyard.server.pages.eval_format import FORMAT
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router

router = page_router()
router.include_router(eval_compare.router)  # before /ui/evals/{run_id}
CASES_PER_PAGE = 50
MAX_LISTED = 500
MAX_METRIC_COLUMNS = 4
OPERATIONAL_FACTS = (
    "cases",
    "errors",
    "error_rate",
    "p50_latency_ms",
    "p95_latency_ms",
    "cost_usd",
    "cost_per_1k_usd",
    "prompt_tokens",
    "completion_tokens",
)
FILTER_LABELS = {"all": "All", "wrong": "Wrong", "errors": "Errors"}


@router.get("/ui/evals")
def evals_page(
    request: Request,
    ws: WorkspaceDep,
    target: str = "",
    data: str = "",
    model: str = "",
    limit: int = 100,
) -> Response:
    """Every finished evaluation, newest first, with boxes to pick two (compare) or more (report)."""
    error = None
    found: list[EvaluationSummary] = []
    try:
        found = list_evaluations(
            target=target.strip() or None,
            data=data.strip() or None,
            model=model.strip() or None,
            limit=max(1, min(limit, MAX_LISTED)),
            workspace=ws,
        )
    except (InvalidInput, NotFound) as exc:
        error = exc.message
    filtered = bool(target.strip() or data.strip() or model.strip())
    known = found if not filtered else list_evaluations(limit=MAX_LISTED, workspace=ws)
    metrics = quality_metrics({n for s in found for n in s.metrics})[:MAX_METRIC_COLUMNS]
    return render(
        request,
        "evals.html",
        {
            "title": "Evaluations",
            "evaluations": found,
            "metric_columns": metrics,
            "filters": {"target": target.strip(), "data": data.strip(), "model": model.strip()},
            "filtered": filtered,
            "error": error,
            "known_targets": sorted({s.target for s in known}),
            "known_data": sorted({s.data for s in known}),
            "known_models": sorted({s.model for s in known if s.model}),
            "ev": FORMAT,
        },
        status=400 if error else 200,
    )


@router.get("/ui/evals/{run_id}")
def eval_page(
    request: Request, ws: WorkspaceDep, run_id: str, only: str = "all", page: int = 1
) -> Response:
    """One evaluation: headline numbers, confusion matrix, per-class scores, latency, cases."""
    view = load_view(ws, run_id)
    result = view.result
    if page < 1:
        raise InvalidInput(f"page must be 1 or more; got {page}")
    cases = case_page(result, only, (page - 1) * CASES_PER_PAGE, CASES_PER_PAGE)
    pages = max(1, -(-cases.total // CASES_PER_PAGE))
    return render(
        request,
        "eval.html",
        {
            "title": f"Evaluation {result.run_id[:8]}",
            **detail_context(view),
            "cases": cases,
            "counts": case_counts(result.cases),
            "filters": [(f, FILTER_LABELS[f]) for f in CASE_FILTERS],
            "page": page,
            "pages": pages,
            "rows": [(case, case_state(case)) for case in cases.cases],
            "page_url": lambda p, o=cases.only: _case_url(result.run_id, o, p),
            "filter_url": lambda o: _case_url(result.run_id, o, 1),
            "ev": FORMAT,
        },
    )


def detail_context(view: EvaluationView) -> dict[str, Any]:
    """Everything of the evaluation page above its case table."""
    result = view.result
    metrics = dict(result.metrics)
    classes = per_class(metrics)
    figures = {
        "confusion": eval_charts.confusion_heatmap(result.details.get("confusion_matrix")),
        "per_class": eval_charts.per_class_bars(classes),
        "latency": eval_charts.latency_histogram(result.cases),
    }
    return {
        "view": view,
        "result": result,
        "run": view.run,
        "quality": [(n, metrics[n]) for n in quality_metrics(list(metrics))],
        "operational": [(n, metrics[n]) for n in OPERATIONAL_FACTS if n in metrics],
        "classes": classes,
        "too_many_classes": len(classes) > eval_charts.MAX_CLASSES,
        "figures": {k: v for k, v in figures.items() if v is not None},
        "target_info": [(k, v) for k, v in view.target_info.items() if v not in (None, "", [])],
        "skipped": {
            name: detail["skipped"]
            for name, detail in result.details.items()
            if isinstance(detail, dict) and "skipped" in detail
        },
    }


def case_state(case: CaseResult) -> str:
    """How a case row looks: ``failed`` (the target raised), ``wrong``, ``right`` or unknown."""
    if case.error is not None:
        return "failed"
    correct = is_correct(case)
    return "" if correct is None else "right" if correct else "wrong"


def _case_url(run_id: str, only: str, page: int) -> str:
    query = {k: v for k, v in (("only", only), ("page", str(page))) if v not in ("all", "1")}
    return f"/ui/evals/{run_id}" + (f"?{urlencode(query)}" if query else "") + "#cases"
