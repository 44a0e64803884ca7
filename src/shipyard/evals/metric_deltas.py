"""The delta of every metric two evaluations share, each with a paired bootstrap interval.

Per-case scores and the operational metrics (latency percentiles, cost,
errors, tokens) are recomputed from the cases on resampled case indices, all
resamples at once; other aggregates (F1, ROC AUC, R²) only through the
caller's ``metric_fn``, which runs once per resample and arm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shipyard.evals.comparison_metrics import (
    NEUTRAL,
    case_values,
    higher_is_better,
    row_statistic,
)
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.evals.stats import paired_bootstrap, percentile_interval, resample_indices

MetricFn = Callable[[Sequence[CaseResult]], Mapping[str, float]]


@dataclass(frozen=True)
class MetricDelta:
    """``candidate - baseline`` for one metric, with its bootstrap interval when one exists."""

    name: str
    baseline: float
    candidate: float
    delta: float
    low: float | None
    high: float | None
    higher_is_better: bool | None
    method: str


def metric_deltas(
    baseline: EvaluationResult,
    candidate: EvaluationResult,
    base_cases: Sequence[CaseResult],
    cand_cases: Sequence[CaseResult],
    primary: str,
    *,
    confidence: float,
    n_resamples: int,
    seed: int,
    metric_fn: MetricFn | None,
    metric_fn_resamples: int,
) -> tuple[MetricDelta, ...]:
    shared = [
        name
        for name, value in candidate.metrics.items()
        if name not in NEUTRAL and _number(value) and _number(baseline.metrics.get(name))
    ]
    shared.sort(key=lambda name: name != primary)
    both = (*base_cases, *cand_cases)
    recomputed: dict[str, tuple[float, float]] = {}
    leftover = [name for name in shared if row_statistic(name, both) is None]
    if metric_fn is not None and leftover:
        recomputed = _metric_fn_intervals(
            metric_fn, base_cases, cand_cases, leftover, confidence, metric_fn_resamples, seed
        )
    deltas = []
    for name in shared:
        low: float | None = None
        high: float | None = None
        method = "no interval (needs metric_fn)"
        known = row_statistic(name, both)
        if known is not None:
            field, statistic = known
            boot = paired_bootstrap(
                case_values(field, base_cases),
                case_values(field, cand_cases),
                statistic=statistic,
                n_resamples=n_resamples,
                confidence=confidence,
                seed=seed,
            )
            low, high, method = boot.low, boot.high, f"paired bootstrap of per-case {field}"
        elif name in recomputed:
            low, high = recomputed[name]
            method = "paired bootstrap, recomputed by metric_fn"
        base_value = float(baseline.metrics[name])
        cand_value = float(candidate.metrics[name])
        deltas.append(
            MetricDelta(
                name,
                base_value,
                cand_value,
                cand_value - base_value,
                _or_none(low),
                _or_none(high),
                higher_is_better(name),
                method,
            )
        )
    return tuple(deltas)


def _metric_fn_intervals(
    metric_fn: MetricFn,
    base_cases: Sequence[CaseResult],
    cand_cases: Sequence[CaseResult],
    names: Sequence[str],
    confidence: float,
    n_resamples: int,
    seed: int,
) -> dict[str, tuple[float, float]]:
    """Intervals of the deltas of ``names``, recomputing both arms on the same resampled cases."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows: list[dict[str, float]] = []
    for block in resample_indices(rng, len(base_cases), n_resamples):
        for idx in block:
            base = metric_fn([base_cases[i] for i in idx])
            cand = metric_fn([cand_cases[i] for i in idx])
            rows.append({n: _diff(cand.get(n), base.get(n)) for n in names})
    intervals = {}
    for name in names:
        deltas = np.array([row[name] for row in rows], dtype=np.float64)
        if not np.isnan(deltas).all():
            intervals[name] = percentile_interval(deltas, confidence)
    return intervals


def _diff(cand: float | None, base: float | None) -> float:
    if not _number(cand) or not _number(base):
        return math.nan
    return float(cand) - float(base)  # type: ignore[arg-type]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _or_none(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value
