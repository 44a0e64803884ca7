"""Targets: what an evaluation runs (a model, a prompt on a model, a Python function, a URL).

``parse_target(spec, model=...)`` turns the text a user writes into a
``Target``; each kind lives in its own module and is imported only when used.
"""

from shipyard.evals.targets.base import Target
from shipyard.evals.targets.parse import TARGETS, parse_target, target_kind

__all__ = ["TARGETS", "Target", "parse_target", "target_kind"]
