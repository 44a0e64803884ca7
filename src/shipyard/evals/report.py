"""A report: several evaluations of one dataset side by side, each tested against a baseline.

This is the seed example's table turned into a measurement: accuracy, F1,
p50/p95 latency and cost per 1,000 predictions for every evaluation, and for
each one but the baseline the paired significance verdict against it. The
verdicts need no per-resample recomputation (the test reads per-case numbers),
so a report of several evaluations stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.evals.compare import Comparison, plain_json
from shipyard.evals.quick_compare import compare_quickly, quality_metrics
from shipyard.evals.results import EvaluationResult
from shipyard.evals.storage import load_evaluation
from shipyard.workspace import Workspace

MIN_RUNS, MAX_RUNS = 2, 10
OPERATIONAL_COLUMNS = ("p50_latency_ms", "p95_latency_ms", "cost_per_1k_usd", "errors")


@dataclass(frozen=True)
class ReportRow:
    """One evaluation in the report, with its verdict against the baseline (none for the baseline)."""

    result: EvaluationResult
    label: str
    is_baseline: bool
    comparison: Comparison | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "run_id": r.run_id,
            "label": self.label,
            "target": r.target,
            "model": r.model,
            "baseline": self.is_baseline,
            "metrics": dict(r.metrics),
            "comparison": None if self.comparison is None else _verdict(self.comparison),
            "error": self.error,
        }


@dataclass(frozen=True)
class Report:
    """Evaluations of ``data`` side by side; ``metric`` is what every verdict tested."""

    data: str
    metric: str | None
    level: float
    baseline: str
    rows: tuple[ReportRow, ...]
    quality: tuple[str, ...]
    operational: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = plain_json(
            {
                "data": self.data,
                "metric": self.metric,
                "level": self.level,
                "baseline": self.baseline,
                "quality": list(self.quality),
                "operational": list(self.operational),
                "rows": [row.to_dict() for row in self.rows],
            }
        )
        return data


def parse_run_list(values: Sequence[str] | None) -> list[str]:
    """Run ids from ``runs=a,b`` or repeated ``runs=a&runs=b``, in order, without repeats."""
    ids = [part.strip() for value in values or () for part in value.split(",") if part.strip()]
    return list(dict.fromkeys(ids))


def build_report(
    ws: Workspace,
    run_ids: Sequence[str],
    *,
    baseline: str | None = None,
    metric: str | None = None,
    level: float = 0.05,
) -> Report:
    """Load the evaluations, check they share one dataset version, and test each against the baseline."""
    if not MIN_RUNS <= len(run_ids) <= MAX_RUNS:
        raise InvalidInput(
            f"a report needs between {MIN_RUNS} and {MAX_RUNS} evaluations; {len(run_ids)} "
            f"{'was' if len(run_ids) == 1 else 'were'} given: pick them with `shipyard eval list` "
            "(or tick them in /ui/evals and press Report)."
        )
    results = list(
        {r.run_id: r for r in (load_evaluation(i, workspace=ws) for i in run_ids)}.values()
    )
    if len(results) < MIN_RUNS:
        raise InvalidInput("those ids name the same evaluation twice; pick different evaluations")
    check_same_data(results)
    base = _pick_baseline(results, baseline)
    labels = _labels(results)
    rows: list[ReportRow] = []
    tested = metric or None
    for result in results:
        if result is base:
            rows.append(ReportRow(result, labels[result.run_id], True))
            continue
        try:
            comparison = compare_quickly(base, result, metric=tested, level=level, intervals=False)
        except InvalidInput as exc:
            rows.append(ReportRow(result, labels[result.run_id], False, error=exc.message))
            continue
        tested = tested or comparison.metric  # every verdict tests the same metric
        rows.append(ReportRow(result, labels[result.run_id], False, comparison))
    names = {name for r in results for name in r.metrics}
    return Report(
        data=base.data,
        metric=tested,
        level=level,
        baseline=base.run_id,
        rows=tuple(rows),
        quality=tuple(quality_metrics(names)),
        operational=tuple(c for c in OPERATIONAL_COLUMNS if c in names),
    )


def check_same_data(results: Sequence[EvaluationResult]) -> None:
    """One dataset version for all, or an error that says which evaluation used which."""
    datasets = {r.data for r in results}
    if len(datasets) > 1:
        used = "; ".join(f"{r.run_id[:8]} ({r.target}) on {r.data}" for r in results)
        raise InvalidInput(
            f"these evaluations ran on {len(datasets)} different datasets ({used}); a report "
            "compares evaluations of one dataset version: filter the list by dataset and pick again"
        )


def label_of(result: EvaluationResult) -> str:
    """What an evaluation measured, in a few words: its target, and the model a prompt ran on."""
    return f"{result.target} on {result.model}" if result.model else result.target


def _labels(results: Sequence[EvaluationResult]) -> dict[str, str]:
    names = [label_of(r) for r in results]
    return {
        r.run_id: name if names.count(name) == 1 else f"{name} ({r.run_id[:8]})"
        for r, name in zip(results, names, strict=True)
    }


def _pick_baseline(results: Sequence[EvaluationResult], wanted: str | None) -> EvaluationResult:
    if not wanted:
        return results[0]
    found = [r for r in results if r.run_id.startswith(wanted.strip())]
    if len(found) != 1:
        raise InvalidInput(
            f"baseline {wanted!r} is not one of the evaluations in this report; pick one of "
            f"{', '.join(r.run_id[:8] for r in results)}"
        )
    return found[0]


def _verdict(comparison: Comparison) -> Mapping[str, Any]:
    """The part of a comparison a report row shows: the verdict, its test and the primary delta."""
    primary = next((d for d in comparison.deltas if d.name == comparison.metric), None)
    return {
        "metric": comparison.metric,
        "verdict": comparison.verdict,
        "test": comparison.test.method,
        "p_value": comparison.test.p_value,
        "level": comparison.level,
        "per_case_score": comparison.per_case_score,
        "delta": comparison.delta if primary is None else primary.delta,
        "low": None if primary is None else primary.low,
        "high": None if primary is None else primary.high,
        "wins": comparison.wins,
        "losses": comparison.losses,
        "ties": comparison.ties,
    }
