"""Evaluations: run a target (a model, a prompt, an app, an endpoint) over an eval dataset.

An eval dataset is an ordinary dataset version whose ``expected`` column holds
the right answers (``cases``); a target turns each case's inputs into an
output (``targets``); scorers turn outputs into numbers (``scorers``); the
runner does all of it as one tracked run with lineage to the dataset and
target versions (``runner``), and ``storage`` loads finished evaluations back.

Nothing heavy is imported here: the modules are imported where they are used.
"""

from __future__ import annotations

from typing import Any

_API = frozenset(
    {
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
    }
)
"""What ``sy.evals`` offers (``evals.api``), loaded on first use.

``sy.evals`` is this package, not ``evals.api``: importing any submodule binds
the package to ``shipyard.evals`` anyway. For the same reason the comparison is
``compare_evaluations`` here: ``shipyard.evals.compare`` is a module.
"""


def __getattr__(name: str) -> Any:
    if name in _API:
        from shipyard.evals import api

        return getattr(api, name)
    raise AttributeError(f"module 'shipyard.evals' has no attribute {name!r}")
