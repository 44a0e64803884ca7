"""The public evaluation functions, gathered for ``sy.evals``.

* ``create_dataset`` / ``load_cases`` — eval datasets (``cases``);
* ``evaluate`` — run a target over one as a tracked run (``runner``);
* ``load_evaluation`` / ``list_evaluations`` / ``latest_evaluation`` — finished
  evaluations (``storage``);
* ``parse_target`` — what a target text resolves to (``targets``);
* ``compare_evaluations`` — two evaluations of the same cases, ending in a verdict
  (``compare.compare``; under another name, as ``shipyard.evals.compare`` is the module);
* ``load_policy`` / ``check`` — gate policies and their results (``gates``);
* ``run_gate`` / ``promote`` / ``attach_gate`` — gates run on a candidate version
  and wired to alias moves (``promotion``);
* ``run_prompt_test`` — a prompt version's test before it goes live (``prompt_test``).
"""

from __future__ import annotations

from shipyard.evals.cases import create_dataset, load_cases
from shipyard.evals.compare import Comparison
from shipyard.evals.compare import compare as compare_evaluations
from shipyard.evals.gates import GateResult, Policy, check, load_policy
from shipyard.evals.promotion import GateRun, attach_gate, promote, run_gate
from shipyard.evals.prompt_test import run_prompt_test
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
    "Comparison",
    "EvaluationResult",
    "EvaluationSummary",
    "GateResult",
    "GateRun",
    "Policy",
    "Target",
    "attach_gate",
    "check",
    "compare_evaluations",
    "create_dataset",
    "evaluate",
    "latest_evaluation",
    "list_evaluations",
    "load_cases",
    "load_evaluation",
    "load_policy",
    "parse_target",
    "promote",
    "run_gate",
    "run_prompt_test",
]
