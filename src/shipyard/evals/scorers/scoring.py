"""Score an evaluation's cases with a list of scorer specs: per-case scores, flat metrics, details.

``score_cases`` is what the runner calls once; ``aggregate_metrics`` is the
fast path a paired bootstrap calls thousands of times on resampled cases (it
re-scores nothing: it reads ``case.scores`` and outputs). ``metric_names``
and ``is_known_metric`` let a gate refuse a policy that names a metric no
scorer will produce, before anything runs.

How failed cases (``error`` set) count:

* ``errors`` and ``error_rate`` count them;
* per-case scorers give them 0 (a missing answer is not a right one), so
  their means fall with every failure;
* classification counts them as wrong predictions (accuracy and recall drop;
  no class gets a false positive), and their ``correct`` score is 0;
* regression and ROC AUC cannot measure them and leave them out, counted in
  their ``details[...]["excluded"]``;
* latency percentiles take every case, failed ones too: a user waits for a
  failure as well. Costs and tokens are what the target reported.

A metric that cannot be computed (no case had an expected value, no class
scores for ROC AUC) is absent, and ``details[NAME]["skipped"]`` says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import (
    BatchScores,
    Scorer,
    as_score,
    bind,
    get_scorer,
    matches_pattern,
    scoring_pass,
)

ALWAYS_ON = (
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
CORRECT = "correct"
"""The per-case 0/1 score classification adds, for McNemar and paired tests."""


def scorers(specs: Sequence[str]) -> list[Scorer]:
    """The scorers of ``specs``, refusing two that would write the same metric."""
    if isinstance(specs, str):
        raise InvalidInput("scorer specs are a list of strings, such as ['accuracy', 'f1']")
    found = [get_scorer(spec) for spec in specs]
    seen: dict[str, str] = dict.fromkeys(ALWAYS_ON, "always computed")
    for s in found:
        for pattern in s.metric_patterns() | {s.name}:
            if pattern in seen:
                raise InvalidInput(
                    f"scorers {seen[pattern]!r} and {s.spec!r} both produce metric {pattern!r};"
                    f" rename one with name=, such as {s.spec}{',' if ':' in s.spec else ':'}"
                    f"name=other"
                )
            seen[pattern] = s.spec
    return found


def metric_names(specs: Sequence[str]) -> set[str]:
    """Every metric name ``specs`` will produce, plus the always-on ones.

    Per-class metrics appear as patterns (``f1[*]``); ``is_known_metric``
    matches a concrete name (``f1[positive]``) against them.
    """
    names = set(ALWAYS_ON)
    for s in scorers(specs):
        names |= s.metric_patterns()
    return names


def is_known_metric(name: str, specs: Sequence[str]) -> bool:
    """Whether an evaluation scored with ``specs`` can have metric ``name``."""
    return matches_pattern(name, metric_names(specs))


def score_cases(
    cases: Sequence[CaseResult], specs: Sequence[str]
) -> tuple[list[CaseResult], dict[str, float], dict[str, Any]]:
    """Score every case; return the scored cases, the flat metrics and the details.

    Cases come back in the order given, with ``scores`` filled (and
    ``metadata["scoring"][NAME]`` where a scorer left a note, such as a judge
    answer it could not parse). Classification scorers add a per-case
    ``correct`` score and ``details["confusion_matrix"]``.
    """
    chosen = scorers(specs)
    if any(s.definition.classification for s in chosen) and not any(
        s.definition.name == "confusion_matrix" for s in chosen
    ):
        chosen.append(bind("confusion_matrix"))
    scores: list[dict[str, float | None]] = [dict(c.scores) for c in cases]
    notes: list[dict[str, Any]] = [{} for _ in cases]
    details: dict[str, Any] = {}
    for s in chosen:
        if s.kind == "case":
            _score_each(s, cases, scores)
        elif s.kind == "batch":
            extra = _score_batch(s, cases, scores, notes)
            if extra:
                details[s.name] = dict(extra)
    if any(s.definition.classification for s in chosen):
        from shipyard.evals.scorers.classification import correct

        for i, case in enumerate(cases):
            scores[i][CORRECT] = correct(case)
    scored = [
        replace(case, scores=scores[i], metadata=_with_notes(case.metadata, notes[i]))
        for i, case in enumerate(cases)
    ]
    metrics = operational_metrics(scored)
    metrics.update(_quality(scored, chosen, details))
    return scored, metrics, details


def aggregate_metrics(
    cases: Sequence[CaseResult], specs: Sequence[str], *, operational: bool = False
) -> dict[str, float]:
    """The quality metrics of already scored cases, recomputed (for resampled cases).

    Reads ``case.scores`` for per-case scorers and outputs for aggregates; no
    model is called. ``operational=True`` adds latency, cost and error metrics.
    """
    metrics = _quality(cases, scorers(specs), None)
    if operational:
        metrics.update(operational_metrics(cases))
    return metrics


def operational_metrics(cases: Sequence[CaseResult]) -> dict[str, float]:
    """Counts, error rate, p50/p95 latency (linear interpolation, as numpy), cost and tokens."""
    n = len(cases)
    errors = sum(1 for c in cases if c.error is not None)
    cost = math.fsum(c.cost_usd for c in cases)
    metrics = {
        "cases": float(n),
        "errors": float(errors),
        "error_rate": errors / n if n else 0.0,
        "cost_usd": cost,
        "cost_per_1k_usd": cost / n * 1000 if n else 0.0,
        "prompt_tokens": float(sum(c.prompt_tokens for c in cases)),
        "completion_tokens": float(sum(c.completion_tokens for c in cases)),
    }
    if n:
        latencies = sorted(c.latency_ms for c in cases)
        metrics["p50_latency_ms"] = percentile(latencies, 50)
        metrics["p95_latency_ms"] = percentile(latencies, 95)
    return metrics


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile of sorted values, linear between closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _score_each(
    s: Scorer, cases: Sequence[CaseResult], scores: list[dict[str, float | None]]
) -> None:
    for i, case in enumerate(cases):
        if case.error is not None:
            scores[i][s.name] = 0.0
            continue
        try:
            scores[i][s.name] = s.score_case(case)
        except Exception as exc:
            exc.add_note(f"while scoring case {case.index} with {s.spec!r}")
            raise


def _score_batch(
    s: Scorer,
    cases: Sequence[CaseResult],
    scores: list[dict[str, float | None]],
    notes: list[dict[str, Any]],
) -> Mapping[str, Any]:
    positions = [i for i, c in enumerate(cases) if c.error is None]
    for i, case in enumerate(cases):
        if case.error is not None:
            scores[i][s.name] = 0.0
    if not positions:
        return {}
    result: BatchScores = s.score_batch([cases[i] for i in positions])
    for j, i in enumerate(positions):
        scores[i][s.name] = as_score(result.scores[j], s.name)
        if j in result.notes:
            notes[i][s.name] = dict(result.notes[j])
    return result.details


def _quality(
    cases: Sequence[CaseResult], chosen: Sequence[Scorer], details: dict[str, Any] | None
) -> dict[str, float]:
    metrics: dict[str, float] = {}
    with scoring_pass():
        for s in chosen:
            if s.kind == "aggregate":
                if details is None and not s.definition.metrics:
                    continue  # details only (the confusion matrix): nothing to resample
                result = s.aggregate(cases)
                metrics.update(result.metrics)
                if details is not None and result.details:
                    details.setdefault(s.name, {}).update(result.details)
                continue
            values = [v for c in cases if (v := c.scores.get(s.name)) is not None]
            if values:
                metrics[s.name] = math.fsum(values) / len(values)
            elif details is not None:
                details.setdefault(s.name, {})["skipped"] = "no case could be scored"
    return metrics


def _with_notes(metadata: Mapping[str, Any], notes: Mapping[str, Any]) -> Mapping[str, Any]:
    if not notes:
        return metadata
    scoring = dict(metadata.get("scoring") or {})
    scoring.update(notes)
    return {**metadata, "scoring": scoring}
