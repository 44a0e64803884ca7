"""Regression aggregates: MAE, RMSE and R² between numeric outputs and expected values.

An output may be a number or a text holding one (the first number counts). A
failed case, or one whose output or expected value holds no number, has no
error to measure: it is left out and counted in ``details[NAME]["excluded"]``
(the evaluation's ``error_rate`` already tells that cases failed). R² follows
scikit-learn: 1 − SS_res / SS_tot, and when the expected values are all equal
it is 1.0 for a perfect fit and 0.0 otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import Aggregate, aggregate_scorer, pass_cache
from shipyard.evals.scorers.values import as_number


def pairs(cases: Sequence[CaseResult]) -> tuple[list[tuple[float, float]], int]:
    """(expected, predicted) numbers of the measurable cases, and how many were left out."""
    cache = pass_cache()
    key = ("regression.pairs", id(cases))
    if cache is not None and key in cache:
        found: tuple[list[tuple[float, float]], int] = cache[key]
        return found
    out: list[tuple[float, float]] = []
    excluded = 0
    for case in cases:
        expected = as_number(case.expected)
        if expected is None:
            continue
        got = as_number(case.output, search=True) if case.error is None else None
        if got is None:
            excluded += 1
        else:
            out.append((expected, got))
    if cache is not None:
        cache[key] = (out, excluded)
    return out, excluded


def _skipped(excluded: int) -> Aggregate:
    return Aggregate(
        {}, {"skipped": "no case has a numeric output and expected value", "excluded": excluded}
    )


@aggregate_scorer("mae")
def mae(cases: Sequence[CaseResult]) -> Aggregate:
    """Mean absolute error."""
    rows, excluded = pairs(cases)
    if not rows:
        return _skipped(excluded)
    value = sum(abs(y - p) for y, p in rows) / len(rows)
    return Aggregate({"mae": value}, {"cases": len(rows), "excluded": excluded})


@aggregate_scorer("rmse")
def rmse(cases: Sequence[CaseResult]) -> Aggregate:
    """Root mean squared error."""
    rows, excluded = pairs(cases)
    if not rows:
        return _skipped(excluded)
    value = math.sqrt(sum((y - p) ** 2 for y, p in rows) / len(rows))
    return Aggregate({"rmse": value}, {"cases": len(rows), "excluded": excluded})


@aggregate_scorer("r2")
def r2(cases: Sequence[CaseResult]) -> Aggregate:
    """Coefficient of determination."""
    rows, excluded = pairs(cases)
    if not rows:
        return _skipped(excluded)
    mean = sum(y for y, _ in rows) / len(rows)
    total = sum((y - mean) ** 2 for y, _ in rows)
    residual = sum((y - p) ** 2 for y, p in rows)
    if total == 0.0:  # constant truth: scikit-learn's force_finite convention
        return Aggregate(
            {"r2": 1.0 if residual == 0.0 else 0.0}, {"cases": len(rows), "excluded": excluded}
        )
    value = 1.0 - residual / total
    return Aggregate({"r2": value}, {"cases": len(rows), "excluded": excluded})
