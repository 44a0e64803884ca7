"""The numbers a comparison reads case by case, and how each metric is resampled.

A comparison needs, for its significance test, one number per case (was it
correct, its ROUGE-L, its latency) and, for the interval of each aggregate
delta, a way to recompute the aggregate on resampled cases. Both are derived
here from the ``CaseResult`` fields and the metric names every evaluation shares
(see ``results.py``); anything else comes from the caller's ``metric_fn``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    RowStatistic = Callable[[NDArray[np.float64]], NDArray[np.float64]]

# smaller is better for these; every other metric is better when larger
LOWER_IS_BETTER = frozenset(
    {
        "mae",
        "rmse",
        "errors",
        "error_rate",
        "p50_latency_ms",
        "p95_latency_ms",
        "cost_usd",
        "cost_per_1k_usd",
        "prompt_tokens",
        "completion_tokens",
    }
)
# metrics that say nothing about quality, so no delta is reported
NEUTRAL = frozenset({"cases"})
CLASSIFICATION = frozenset({"accuracy", "precision", "recall", "f1", "roc_auc"})
REGRESSION = frozenset({"mae", "rmse", "r2"})
_LABELLED = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z0-9_]*)\[(?P<label>.+)\]$")


def base_name(metric: str) -> str:
    """``f1[positive]`` → ``f1``; other names unchanged."""
    match = _LABELLED.match(metric)
    return match.group("base") if match else metric


def higher_is_better(metric: str) -> bool | None:
    """The direction of a metric; ``None`` for a count that is not a quality (``cases``)."""
    name = base_name(metric)
    if name in NEUTRAL:
        return None
    return name not in LOWER_IS_BETTER


@dataclass(frozen=True)
class PerCase:
    """One number per case for the paired test, what it is, and which way is better."""

    name: str
    values: tuple[float, ...]
    higher_is_better: bool
    binary: bool


def per_case(metric: str, cases: Sequence[CaseResult], other: Sequence[CaseResult]) -> PerCase:
    """The per-case number that stands for ``metric`` in a paired test (``nan`` = no score).

    A per-case scorer's own score when the cases carry it; the latency, cost or
    error flag for those aggregates; the absolute error for a regression metric;
    correctness for a classification metric (``accuracy``, ``f1``, ``f1[label]``)
    or any other aggregate of cases that carry a ``correct`` score. ``other`` is
    the other arm, so both arms resolve the same way.
    """
    name = base_name(metric)
    both = (*cases, *other)
    if _has_score(both, metric):
        values = tuple(_score(case, metric) for case in cases)
        return PerCase(
            metric, values, higher_is_better(metric) is not False, _is_binary(both, metric)
        )
    if name in CASE_FIELDS:
        field, _ = CASE_FIELDS[name]
        return PerCase(field, tuple(_field(c, field) for c in cases), False, field == "error")
    if name in REGRESSION:
        return PerCase("absolute_error", tuple(_absolute_error(c) for c in cases), False, False)
    if name in CLASSIFICATION or _has_score(both, "correct"):
        return PerCase("correct", tuple(correctness(case) for case in cases), True, True)
    raise InvalidInput(
        f"metric {metric!r} has no per-case score to test; pick a metric that a per-case "
        "scorer produces, a classification metric (accuracy, f1...) or a latency/cost metric"
    )


def correctness(case: CaseResult) -> float:
    """1 when the case was answered right, 0 when wrong or failed, nan when unknowable."""
    score = case.scores.get("correct")
    if score is not None:
        return float(score)
    if case.error is not None:
        return 0.0
    if case.expected is None:
        return math.nan
    return 1.0 if str(case.output).strip() == str(case.expected).strip() else 0.0


def row_statistic(metric: str, cases: Sequence[CaseResult]) -> tuple[str, RowStatistic] | None:
    """The case field and the vectorised row statistic that recompute ``metric``, if known."""
    if metric in CASE_FIELDS:
        field, statistic = CASE_FIELDS[metric]
        return field, statistic
    if metric == "accuracy" or _has_score(cases, metric):
        return ("correct" if metric == "accuracy" else metric), _nanmean
    return None


def case_values(field: str, cases: Sequence[CaseResult]) -> list[float]:
    """The per-case numbers ``row_statistic`` named, in case order."""
    if field in ("latency_ms", "cost_usd", "prompt_tokens", "completion_tokens", "error"):
        return [_field(case, field) for case in cases]
    if field == "correct":
        return [correctness(case) for case in cases]
    return [_score(case, field) for case in cases]


def _field(case: CaseResult, field: str) -> float:
    if field == "error":
        return 0.0 if case.ok else 1.0
    return float(getattr(case, field))


def _score(case: CaseResult, name: str) -> float:
    score = case.scores.get(name)
    return math.nan if score is None else float(score)


def _has_score(cases: Sequence[CaseResult], name: str) -> bool:
    return any(case.scores.get(name) is not None for case in cases)


def _is_binary(cases: Sequence[CaseResult], name: str) -> bool:
    return all(case.scores.get(name) in (None, 0, 1) for case in cases)


def _absolute_error(case: CaseResult) -> float:
    try:
        return abs(float(case.output) - float(case.expected))
    except (TypeError, ValueError):
        return math.nan


def _nanmean(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    from shipyard.evals.stats import nanmean_rows

    return nanmean_rows(matrix)


def _sum(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    return np.asarray(matrix.sum(axis=1), dtype=np.float64)


def _per_1k(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    return np.asarray(matrix.mean(axis=1) * 1000, dtype=np.float64)


def _p50(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    return np.percentile(matrix, 50, axis=1)


def _p95(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    return np.percentile(matrix, 95, axis=1)


def _mean(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    return np.asarray(matrix.mean(axis=1), dtype=np.float64)


# aggregates every evaluation has, recomputed from the case fields: (field, row statistic)
CASE_FIELDS: dict[str, tuple[str, RowStatistic]] = {
    "errors": ("error", _sum),
    "error_rate": ("error", _mean),
    "p50_latency_ms": ("latency_ms", _p50),
    "p95_latency_ms": ("latency_ms", _p95),
    "cost_usd": ("cost_usd", _sum),
    "cost_per_1k_usd": ("cost_usd", _per_1k),
    "prompt_tokens": ("prompt_tokens", _sum),
    "completion_tokens": ("completion_tokens", _sum),
}
