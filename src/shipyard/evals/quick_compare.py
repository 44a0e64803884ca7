"""Comparing two evaluations quickly enough for a page, a report or a command line.

``compare_quickly`` is ``compare.compare`` with fewer resamples than the
library default (2,000 for the bootstrap and permutation test, 200 for metrics
such as F1 that must be recomputed by Python on each resample): a few hundred
cases compare in a fraction of a second, and the intervals move in the third
decimal at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shipyard.core.errors import InvalidInput
from shipyard.evals.compare import Comparison, compare
from shipyard.evals.metric_deltas import MetricFn
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.evals.scorers import ALWAYS_ON, aggregate_metrics, get_scorer

RESAMPLES = 2_000
METRIC_FN_RESAMPLES = 200
OPERATIONAL = frozenset(ALWAYS_ON)
# quality metrics shown first, in this order, when an evaluation has them
PREFERRED = ("accuracy", "f1", "precision", "recall", "roc_auc", "mae", "rmse", "r2")


def quality_metrics(names: Sequence[str] | set[str]) -> list[str]:
    """Quality metric names (no per-class ones, no latency/cost/counts), best-known first."""
    chosen = {n for n in names if n not in OPERATIONAL and "[" not in n}
    first = [n for n in PREFERRED if n in chosen]
    return first + sorted(chosen - set(first))


def metric_fn(baseline: EvaluationResult, candidate: EvaluationResult) -> MetricFn | None:
    """Recompute the aggregate metrics (F1, ROC AUC, R²...) both evaluations were scored with.

    Only aggregate scorers are kept: per-case scores are resampled from the
    cases directly, and a scorer this process does not know (a custom one
    registered elsewhere) is left out rather than failing the page.
    """
    specs = []
    for spec in candidate.scorers:
        if spec not in baseline.scorers:
            continue
        try:
            found = get_scorer(spec)
        except InvalidInput:
            continue
        if found.kind == "aggregate" and found.definition.metrics:
            specs.append(spec)
    if not specs:
        return None

    def recompute(cases: Sequence[CaseResult]) -> Mapping[str, float]:
        return aggregate_metrics(cases, specs)

    return recompute


def compare_quickly(
    baseline: EvaluationResult,
    candidate: EvaluationResult,
    *,
    metric: str | None = None,
    level: float = 0.05,
    intervals: bool = True,
) -> Comparison:
    """``compare`` with fewer resamples; ``intervals=False`` skips ``metric_fn`` (no F1 intervals)."""
    return compare(
        baseline,
        candidate,
        metric=metric or None,
        level=level,
        n_resamples=RESAMPLES,
        metric_fn=metric_fn(baseline, candidate) if intervals else None,
        metric_fn_resamples=METRIC_FN_RESAMPLES,
    )
