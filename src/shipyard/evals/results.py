"""What an evaluation produces: one ``CaseResult`` per case, and the ``EvaluationResult``.

Scorers read ``CaseResult``s; comparisons and gates read ``EvaluationResult``s.
Both are plain frozen records so that they can be stored (JSON lines) and
loaded back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CaseResult:
    """One case of an eval dataset after the target ran on it.

    ``output`` is what the target answered (a label, a number, a text); ``None``
    with ``error`` set when the target raised on this case. ``proba`` holds
    class scores when the target gives them (a classifier's ``predict_proba``,
    an LLM's label log-likelihoods), keyed by label. ``scores`` are the
    per-case scores, by scorer name, filled in after scoring.
    """

    index: int
    inputs: Mapping[str, Any]
    expected: Any = None
    output: Any = None
    error: str | None = None
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    proba: Mapping[str, float] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, float | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class EvaluationResult:
    """A finished evaluation: the run that holds it, what ran on what, and the numbers.

    ``metrics`` are flat, by name (``accuracy``, ``f1``, ``f1[positive]``,
    ``p95_latency_ms``, ``cost_per_1k_usd``...): what gates and comparisons read.
    ``details`` holds what is not one number (a confusion matrix, per-class tables).
    """

    run_id: str
    target: str
    data: str
    scorers: tuple[str, ...]
    metrics: Mapping[str, float]
    cases: tuple[CaseResult, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    model: str | None = None
