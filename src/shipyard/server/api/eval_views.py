"""What the evaluation API and pages read: one evaluation, its cases filtered, a comparison.

The REST API (``api.evals``) and the UI pages (``pages.evals``) both call
these, so a page shows exactly what the JSON says. Nothing is cached between
requests: every call reads the workspace it is given, so no result can leak
from one workspace (or one server) to another.

Comparisons use ``evals.quick_compare``: a page of a few hundred cases renders
in a fraction of a second.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.blobs.integrity import open_verified
from shipyard.core.errors import InvalidInput
from shipyard.evals.compare import Comparison, plain_json
from shipyard.evals.comparison_metrics import correctness
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.evals.storage import (
    EVALUATION_ARTIFACT,
    EvaluationSummary,
    case_to_dict,
    load_evaluation,
)
from shipyard.store.records import Run
from shipyard.workspace import Workspace

CASE_FILTERS = ("all", "wrong", "errors")
MAX_CASES_PAGE = 500


@dataclass(frozen=True)
class EvaluationView:
    """An evaluation with the run that holds it and what its target was."""

    result: EvaluationResult
    run: Run
    target_info: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``GET /api/v1/evals/{run_id}``: everything but the cases."""
        r = self.result
        data: dict[str, Any] = plain_json(
            {
                "run_id": r.run_id,
                "name": self.run.name,
                "experiment": self.run.experiment,
                "status": self.run.status,
                "start_time": self.run.start_time,
                "end_time": self.run.end_time,
                "target": r.target,
                "data": r.data,
                "model": r.model,
                "scorers": list(r.scorers),
                "metrics": dict(r.metrics),
                "details": dict(r.details),
                "target_info": dict(self.target_info),
                "cases": len(r.cases),
                "case_counts": case_counts(r.cases),
            }
        )
        return data


@dataclass(frozen=True)
class CasePage:
    """One page of an evaluation's cases after a filter."""

    only: str
    offset: int
    limit: int
    total: int
    cases: tuple[CaseResult, ...]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "only": self.only,
            "offset": self.offset,
            "limit": self.limit,
            "total": self.total,
            "cases": [case_dict(c) for c in self.cases],
        }
        return data


def load_view(ws: Workspace, run_id: str) -> EvaluationView:
    """The evaluation of run ``run_id`` (an id or a unique prefix), its run and target info."""
    result = load_evaluation(run_id, workspace=ws)
    run = ws.store.runs.get(result.run_id)
    return EvaluationView(result, run, target_info(ws, result.run_id))


def target_info(ws: Workspace, run_id: str) -> dict[str, Any]:
    """What the target was (kind, reference, model, flavor...), from ``evaluation.json``."""
    for entry in ws.store.artifacts.list(run_id):
        if entry.path == EVALUATION_ARTIFACT:
            with open_verified(ws.blobs, entry.digest, EVALUATION_ARTIFACT) as fh:
                document = json.loads(fh.read().decode("utf-8"))
            info = document.get("target_info") if isinstance(document, dict) else None
            return dict(info) if isinstance(info, dict) else {}
    return {}


def summary_dict(summary: EvaluationSummary) -> dict[str, Any]:
    """One line of ``GET /api/v1/evals``."""
    data: dict[str, Any] = plain_json(
        {
            "run_id": summary.run_id,
            "name": summary.name,
            "experiment": summary.experiment,
            "start_time": summary.start_time,
            "target": summary.target,
            "data": summary.data,
            "model": summary.model,
            "scorers": list(summary.scorers),
            "metrics": dict(summary.metrics),
        }
    )
    return data


def case_dict(case: CaseResult) -> dict[str, Any]:
    """A case as JSON, with ``correct`` (1, 0, or ``None`` when there is no expected answer)."""
    data: dict[str, Any] = plain_json({**case_to_dict(case), "correct": is_correct(case)})
    return data


def is_correct(case: CaseResult) -> bool | None:
    value = correctness(case)
    return None if math.isnan(value) else value == 1.0  # nan: nothing to compare with


def is_wrong(case: CaseResult) -> bool:
    """Answered, but not the expected answer (a failed case is an error, not a wrong one)."""
    return case.error is None and is_correct(case) is False


def case_counts(cases: Sequence[CaseResult]) -> dict[str, int]:
    return {
        "all": len(cases),
        "wrong": sum(is_wrong(c) for c in cases),
        "errors": sum(c.error is not None for c in cases),
    }


def filter_cases(cases: Sequence[CaseResult], only: str | None) -> list[CaseResult]:
    """``all``, ``wrong`` (answered wrong) or ``errors`` (the target raised)."""
    chosen = (only or "all").strip().lower()
    if chosen not in CASE_FILTERS:
        raise InvalidInput(f"only must be one of {', '.join(CASE_FILTERS)}; got {only!r}")
    if chosen == "wrong":
        return [c for c in cases if is_wrong(c)]
    if chosen == "errors":
        return [c for c in cases if c.error is not None]
    return list(cases)


def case_page(
    result: EvaluationResult, only: str | None = None, offset: int = 0, limit: int = 50
) -> CasePage:
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more; got {offset}")
    if not 1 <= limit <= MAX_CASES_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_CASES_PAGE}; got {limit}")
    chosen = filter_cases(result.cases, only)
    page = tuple(chosen[offset : offset + limit])
    return CasePage((only or "all").strip().lower(), offset, limit, len(chosen), page)


def per_class(metrics: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """``precision[pos]``, ``recall[pos]``, ``f1[pos]`` → ``{"pos": {"precision": ...}}``."""
    classes: dict[str, dict[str, float]] = {}
    for name, value in metrics.items():
        head, bracket, rest = name.partition("[")
        if bracket and rest.endswith("]") and head in ("precision", "recall", "f1"):
            classes.setdefault(rest[:-1], {})[head] = value
    return dict(sorted(classes.items()))


def disagreements(
    baseline: EvaluationResult, candidate: EvaluationResult, comparison: Comparison
) -> list[tuple[CaseResult, CaseResult, str]]:
    """Cases one evaluation won and the other lost: (baseline case, candidate case, outcome)."""
    base = {c.index: c for c in baseline.cases}
    cand = {c.index: c for c in candidate.cases}
    return [
        (base[o.index], cand[o.index], o.outcome)
        for o in comparison.outcomes
        if o.outcome in ("win", "loss")
    ]
