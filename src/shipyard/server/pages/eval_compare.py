"""``/ui/evals/compare`` (one candidate against a baseline) and ``/ui/evals/report`` (several).

The compare page ends in the verdict of the paired test, with the wins,
losses and ties, every metric's delta and interval as a forest plot, and the
cases where one evaluation was right and the other wrong. The report is the
seed example's table: one row per evaluation of the same dataset, each with
its verdict against the baseline, and grouped bars for quality, latency, cost.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from shipyard.core.errors import InvalidInput
from shipyard.evals.compare import Comparison, MetricDelta
from shipyard.evals.quick_compare import OPERATIONAL, compare_quickly, quality_metrics
from shipyard.evals.report import Report, build_report, label_of, parse_run_list
from shipyard.evals.results import EvaluationResult
from shipyard.evals.storage import load_evaluation
from shipyard.server.api.eval_views import disagreements
from shipyard.server.pages import eval_charts
from shipyard.server.pages.eval_format import FORMAT
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router

router = page_router()
LEVELS = (0.01, 0.05, 0.1)
MAX_DISAGREEMENTS = 200
LATENCY = ("p50_latency_ms", "p95_latency_ms")
COST = ("cost_per_1k_usd",)
RunList = Annotated[list[str] | None, Query()]


@router.get("/ui/evals/compare")
def compare_page(
    request: Request,
    ws: WorkspaceDep,
    baseline: str = "",
    candidate: str = "",
    runs: RunList = None,
    metric: str = "",
    level: float = 0.05,
) -> Response:
    """``?baseline=RUN&candidate=RUN``; ``?runs=A&runs=B`` (the list's form) picks the older as baseline."""
    if runs and not (baseline or candidate):
        ids = parse_run_list(runs)
        if len(ids) != 2:
            raise InvalidInput(
                f"compare takes exactly two evaluations; {len(ids)} were ticked. Tick two, or "
                "press Report to see more side by side."
            )
        older, newer = sorted(
            (load_evaluation(i, workspace=ws) for i in ids),
            key=lambda r: ws.store.runs.get(r.run_id).start_time,
        )
        query = {"baseline": older.run_id, "candidate": newer.run_id}
        return RedirectResponse(f"/ui/evals/compare?{urlencode(query)}", status_code=303)
    if not baseline.strip() or not candidate.strip():
        raise InvalidInput(
            "compare needs a baseline and a candidate evaluation: tick two in the evaluations "
            "list (/ui/evals) and press Compare"
        )
    base = load_evaluation(baseline.strip(), workspace=ws)
    cand = load_evaluation(candidate.strip(), workspace=ws)
    comparison = compare_quickly(base, cand, metric=metric.strip() or None, level=level)
    return render(
        request,
        "eval_compare.html",
        {"title": "Compare evaluations", **compare_context(base, cand, comparison)},
    )


def compare_context(
    base: EvaluationResult, cand: EvaluationResult, comparison: Comparison
) -> dict[str, Any]:
    deltas = list(comparison.deltas)
    quality_names = set(quality_metrics([d.name for d in deltas]))
    figures = {
        "outcomes": eval_charts.outcome_bar(comparison),
        "quality": eval_charts.forest_plot(
            [d for d in deltas if d.name in quality_names], "candidate − baseline"
        ),
        "latency": eval_charts.forest_plot(_named(deltas, LATENCY), "candidate − baseline (ms)"),
        "cost": eval_charts.forest_plot(
            [d for d in _named(deltas, COST) if d.baseline or d.candidate],
            "candidate − baseline (USD per 1,000 cases)",
        ),
    }
    shared = {d.name for d in deltas}
    only_one = sorted((set(base.metrics) ^ set(cand.metrics)) - {"cases"})
    return {
        "base": base,
        "cand": cand,
        "base_label": label_of(base),
        "cand_label": label_of(cand),
        "comparison": comparison,
        "deltas": sorted(
            deltas, key=lambda d: (d.name != comparison.metric, _metric_order(d.name))
        ),
        "primary": next((d for d in deltas if d.name == comparison.metric), None),
        "unshared": only_one,
        "figures": {k: v for k, v in figures.items() if v is not None},
        "disagreements": disagreements(base, cand, comparison)[:MAX_DISAGREEMENTS],
        "disagreement_count": comparison.wins + comparison.losses,
        "max_disagreements": MAX_DISAGREEMENTS,
        "metric_choices": sorted(shared - {"cases"}, key=_metric_order),
        "levels": LEVELS,
        "swap_url": _compare_url(cand.run_id, base.run_id, comparison),
        "report_url": "/ui/evals/report?" + urlencode({"runs": f"{base.run_id},{cand.run_id}"}),
        "better": _better,
        "ev": FORMAT,
    }


@router.get("/ui/evals/report")
def report_page(
    request: Request,
    ws: WorkspaceDep,
    runs: RunList = None,
    baseline: str = "",
    metric: str = "",
    level: float = 0.05,
) -> Response:
    """Several evaluations of one dataset side by side; each tested against the baseline."""
    report = build_report(
        ws,
        parse_run_list(runs),
        baseline=baseline.strip() or None,
        metric=metric.strip() or None,
        level=level,
    )
    return render(
        request, "eval_report.html", {"title": "Evaluation report", **report_context(report)}
    )


def report_context(report: Report) -> dict[str, Any]:
    labels = [row.label for row in report.rows]
    values = [row.result.metrics for row in report.rows]
    ids = ",".join(row.result.run_id for row in report.rows)
    figures = {
        "quality": eval_charts.grouped_bars(labels, values, report.quality, "score"),
        "latency": eval_charts.grouped_bars(labels, values, LATENCY, "latency (ms)"),
        "cost": None,
    }
    if any(v.get("cost_per_1k_usd") for v in values):  # all $0 (local models): no chart of zeros
        figures["cost"] = eval_charts.grouped_bars(labels, values, COST, "USD per 1,000 cases")
    base_query = {"runs": ids, "level": str(report.level)}
    if report.metric:
        base_query["metric"] = report.metric
    return {
        "report": report,
        "primary_delta": _primary_delta,
        "figures": {k: v for k, v in figures.items() if v is not None},
        "baseline_url": lambda run_id: (
            "/ui/evals/report?" + urlencode({**base_query, "baseline": run_id})
        ),
        "compare_url": lambda run_id: (
            "/ui/evals/compare?"
            + urlencode(
                {"baseline": report.baseline, "candidate": run_id, "level": str(report.level)}
                | ({"metric": report.metric} if report.metric else {})
            )
        ),
        "ev": FORMAT,
    }


def _primary_delta(comparison: Comparison) -> float:
    """The tested metric's own delta (F1's, say), not the per-case number's behind the test."""
    return next(
        (d.delta for d in comparison.deltas if d.name == comparison.metric), comparison.delta
    )


def _compare_url(baseline: str, candidate: str, comparison: Comparison) -> str:
    query = {"baseline": baseline, "candidate": candidate, "metric": comparison.metric}
    if comparison.level != 0.05:
        query["level"] = str(comparison.level)
    return f"/ui/evals/compare?{urlencode(query)}"


def _named(deltas: list[MetricDelta], names: tuple[str, ...]) -> list[MetricDelta]:
    return [d for d in deltas if d.name in names]


def _metric_order(name: str) -> tuple[int, str]:
    return (1 if name in OPERATIONAL else 2 if "[" in name else 0, name)


def _better(d: MetricDelta) -> str:
    """How the candidate did on one metric: ``better`` or ``worse`` when the interval says so.

    ``unsure`` when it moved but the interval crosses zero (or there is none),
    ``same`` when it did not move or the metric has no direction.
    """
    if d.higher_is_better is None or d.delta == 0:
        return "same"
    if d.low is None or d.high is None or d.low <= 0 <= d.high:
        return "unsure"
    return "better" if (d.low > 0) == d.higher_is_better else "worse"
