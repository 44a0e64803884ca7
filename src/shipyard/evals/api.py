"""The public evaluation functions, gathered for ``sy.evals``.

* ``create_dataset`` / ``load_cases`` — eval datasets (``cases``);
* ``evaluate`` — run a target over one as a tracked run (``runner``);
* ``load_evaluation`` / ``list_evaluations`` / ``latest_evaluation`` — finished
  evaluations (``storage``);
* ``parse_target`` — what a target text resolves to (``targets``).
"""

from __future__ import annotations

from shipyard.evals.cases import create_dataset, load_cases
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.evals.runner import evaluate
from shipyard.evals.storage import (
    EvaluationSummary,
    latest_evaluation,
    list_evaluations,
    load_evaluation,
)
from shipyard.evals.targets import Target, parse_target

__all__ = [
    "CaseResult",
    "EvaluationResult",
    "EvaluationSummary",
    "Target",
    "create_dataset",
    "evaluate",
    "latest_evaluation",
    "list_evaluations",
    "load_cases",
    "load_evaluation",
    "parse_target",
]
