"""Compare two evaluations of the same cases: who won each case, by how much, and is it real.

The verdict comes from one paired test on the primary metric's per-case number:
McNemar when it is correct/incorrect, a sign-flip permutation test otherwise.
Every metric both evaluations share gets its delta with a paired bootstrap
interval at the same level, so a table can show "f1 +0.04 [0.01, 0.07]".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.evals.comparison_metrics import PerCase, per_case
from shipyard.evals.metric_deltas import MetricDelta, MetricFn, metric_deltas
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.evals.stats import TestResult, mcnemar, permutation_test

__all__ = ["VERDICTS", "CaseOutcome", "Comparison", "MetricDelta", "compare", "plain_json"]

VERDICTS = ("significantly_better", "significantly_worse", "inconclusive")
_NAME_OPTION = re.compile(r"(?:^|,)\s*name\s*=\s*([^,]+)")


@dataclass(frozen=True)
class CaseOutcome:
    """One case's primary per-case numbers and who won it."""

    index: int
    baseline: float | None
    candidate: float | None
    outcome: str  # "win" (the candidate's), "loss", "tie" or "missing"


@dataclass(frozen=True)
class Comparison:
    """The candidate against the baseline on the same data, ending in a verdict."""

    baseline_run: str
    candidate_run: str
    baseline_target: str
    candidate_target: str
    data: str
    metric: str
    per_case_score: str
    level: float
    cases: int
    wins: int
    losses: int
    ties: int
    delta: float
    test: TestResult
    verdict: str
    deltas: tuple[MetricDelta, ...]
    outcomes: tuple[CaseOutcome, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (NaN becomes ``None``) for ``--json``, the UI and evidence."""
        data: dict[str, Any] = plain_json(asdict(self))
        return data


def compare(
    baseline: EvaluationResult,
    candidate: EvaluationResult,
    *,
    metric: str | None = None,
    level: float = 0.05,
    n_resamples: int = 10_000,
    seed: int = 0,
    metric_fn: MetricFn | None = None,
    metric_fn_resamples: int = 1_000,
) -> Comparison:
    """Compare ``candidate`` with ``baseline`` case by case.

    ``metric`` is the primary metric (default: the metric of the candidate's
    first scorer); its per-case number decides wins, losses and the verdict.
    ``metric_fn`` recomputes aggregate metrics (F1, ROC AUC...) on a list of
    cases; with it those metrics get intervals too, from ``metric_fn_resamples``
    resamples (it is called once per resample and arm, in Python, so fewer).
    """
    if not 0 < level < 1:
        raise InvalidInput(f"level must be between 0 and 1 (e.g. 0.05), got {level!r}")
    base_cases, cand_cases = _aligned(baseline, candidate)
    primary = metric or _default_metric(baseline, candidate)
    if metric is not None and not _known(primary, baseline, candidate):
        raise InvalidInput(
            f"metric {primary!r} is in neither evaluation; they have "
            f"{', '.join(sorted(set(baseline.metrics) | set(candidate.metrics)))}"
        )
    base_scores = per_case(primary, base_cases, cand_cases)
    cand_scores = per_case(primary, cand_cases, base_cases)
    outcomes = _outcomes(base_cases, base_scores, cand_scores)
    a, b = _paired_values(outcomes)
    if not a:
        raise InvalidInput(f"no case has a {base_scores.name!r} score in both evaluations")
    delta = sum(b) / len(b) - sum(a) / len(a)
    if base_scores.binary and cand_scores.binary:
        test = mcnemar(a, b)
    else:
        test = permutation_test(a, b, n_resamples=n_resamples, seed=seed)
    improvement = delta if base_scores.higher_is_better else -delta
    verdict = "inconclusive"
    if test.p_value < level and improvement != 0:
        verdict = "significantly_better" if improvement > 0 else "significantly_worse"
    deltas = metric_deltas(
        baseline,
        candidate,
        base_cases,
        cand_cases,
        primary,
        confidence=1 - level,
        n_resamples=n_resamples,
        seed=seed,
        metric_fn=metric_fn,
        metric_fn_resamples=metric_fn_resamples,
    )
    return Comparison(
        baseline_run=baseline.run_id,
        candidate_run=candidate.run_id,
        baseline_target=baseline.target,
        candidate_target=candidate.target,
        data=candidate.data,
        metric=primary,
        per_case_score=base_scores.name,
        level=level,
        cases=len(a),
        wins=sum(o.outcome == "win" for o in outcomes),
        losses=sum(o.outcome == "loss" for o in outcomes),
        ties=sum(o.outcome == "tie" for o in outcomes),
        delta=delta,
        test=test,
        verdict=verdict,
        deltas=deltas,
        outcomes=outcomes,
    )


def _aligned(
    baseline: EvaluationResult, candidate: EvaluationResult
) -> tuple[list[CaseResult], list[CaseResult]]:
    """Both arms' cases in the same order, or a clear error when they are not the same cases."""
    if baseline.data != candidate.data:
        raise InvalidInput(
            f"the baseline ({baseline.run_id}) was evaluated on {baseline.data} and the "
            f"candidate ({candidate.run_id}) on {candidate.data}; compare evaluations "
            "of the same dataset version"
        )
    arms = []
    for role, result in (("baseline", baseline), ("candidate", candidate)):
        if not result.cases:
            raise InvalidInput(
                f"the {role} evaluation {result.run_id} has no stored cases to compare"
            )
        by_index = {case.index: case for case in result.cases}
        if len(by_index) != len(result.cases):
            raise InvalidInput(f"the {role} evaluation {result.run_id} repeats case indices")
        arms.append(by_index)
    base, cand = arms
    if base.keys() != cand.keys():
        only_base = sorted(base.keys() - cand.keys())
        only_cand = sorted(cand.keys() - base.keys())
        raise InvalidInput(
            f"the evaluations cover different cases of {candidate.data} "
            f"(only in the baseline: {_few(only_base)}; only in the candidate: "
            f"{_few(only_cand)}); re-run both on the whole dataset"
        )
    order = sorted(base)
    return [base[i] for i in order], [cand[i] for i in order]


def _outcomes(cases: Sequence[CaseResult], base: PerCase, cand: PerCase) -> tuple[CaseOutcome, ...]:
    outcomes = []
    for case, x, y in zip(cases, base.values, cand.values, strict=True):
        if math.isnan(x) or math.isnan(y):
            outcomes.append(CaseOutcome(case.index, _or_none(x), _or_none(y), "missing"))
            continue
        better = (y - x) if base.higher_is_better else (x - y)
        outcome = "win" if better > 0 else "loss" if better < 0 else "tie"
        outcomes.append(CaseOutcome(case.index, x, y, outcome))
    return tuple(outcomes)


def _paired_values(outcomes: Sequence[CaseOutcome]) -> tuple[list[float], list[float]]:
    """The baseline's and the candidate's numbers for the cases both have one."""
    a: list[float] = []
    b: list[float] = []
    for outcome in outcomes:
        if outcome.baseline is not None and outcome.candidate is not None:
            a.append(outcome.baseline)
            b.append(outcome.candidate)
    return a, b


def _default_metric(baseline: EvaluationResult, candidate: EvaluationResult) -> str:
    """The metric of the candidate's first scorer that produced one (``accuracy`` otherwise).

    Scorers are specs (``judge:name=helpfulness``): the metric is the ``name``
    option when given, else the scorer name.
    """
    for spec in candidate.scorers:
        head, _, options = spec.partition(":")
        named = _NAME_OPTION.search(options)
        name = (named.group(1) if named else head).strip()
        if _known(name, baseline, candidate):
            return name
    return "accuracy"


def _known(metric: str, *results: EvaluationResult) -> bool:
    return any(
        metric in r.metrics or any(metric in case.scores for case in r.cases) for r in results
    )


def _or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _few(indices: Sequence[int]) -> str:
    if not indices:
        return "none"
    shown = ", ".join(str(i) for i in indices[:5])
    return shown + (f" and {len(indices) - 5} more" if len(indices) > 5 else "")


def plain_json(value: Any) -> Any:
    """``value`` with tuples as lists, keys as strings, and NaN or infinity as ``None``."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value
