"""What a gate check found: each condition with its numbers, and the evidence to record.

``GateResult`` has the ``passed`` and ``evidence`` that ``assets.aliases.Check``
asks for, so a passing result moves a protected alias and its evidence (every
number, every run id) is stored with the move.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from shipyard.evals.compare import plain_json
from shipyard.evals.gate_conditions import (
    Condition,
    ConditionValueError,
    Reference,
    evaluate,
)
from shipyard.evals.results import EvaluationResult

Value = float | str | None


@dataclass(frozen=True)
class ConditionResult:
    """One condition: whether it held, both sides, and every value it read."""

    text: str
    op: str
    passed: bool
    status: str  # "pass", "fail" or "skip" (a skip passes unless on_missing_baseline: fail)
    left: Value
    right: Value
    values: dict[str, Value]
    message: str | None = None


@dataclass(frozen=True)
class GateResult:
    """The outcome of ``gates.check``: passed only when every condition passed."""

    policy: dict[str, Any]
    passed: bool
    conditions: tuple[ConditionResult, ...]
    candidate: dict[str, Any]
    baselines: dict[str, str | None]
    verdict: str | None = None
    comparison: dict[str, Any] | None = None

    @property
    def evidence(self) -> str:
        """All of it as one JSON string, stored with the alias move it authorised."""
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = plain_json(asdict(self))
        return data

    def rows(self) -> list[tuple[str, str, str]]:
        """``(condition, values, PASS|FAIL|SKIP)`` per condition, for a CLI or UI table."""
        rows = []
        for result in self.conditions:
            shown = ", ".join(f"{name} = {_format(v)}" for name, v in result.values.items())
            if result.left is not None and result.right is not None and result.status != "skip":
                compared = f"{_format(result.left)} {result.op} {_format(result.right)}"
                shown = f"{shown}  ({compared})".strip()
            if result.message:
                shown = f"{shown}  {result.message}".strip()
            status = "SKIP" if result.status == "skip" and result.passed else result.status.upper()
            rows.append((result.text, shown, "FAIL" if not result.passed else status))
        return rows

    def render_lines(self) -> list[str]:
        """A plain-text table and a summary line, what ``shipyard gate check`` prints."""
        rows = self.rows()
        width = max((len(text) for text, _, _ in rows), default=0)
        lines = [
            f"{status:<4}  {text:<{width}}  {values}".rstrip() for text, values, status in rows
        ]
        held = sum(r.passed and r.status == "pass" for r in self.conditions)
        skipped = sum(r.passed and r.status == "skip" for r in self.conditions)
        name = self.policy.get("name") or self.policy.get("source") or "policy"
        summary = f"gate {name}: {'PASSED' if self.passed else 'FAILED'} "
        summary += f"({held} of {len(self.conditions)} conditions held"
        summary += f", {skipped} skipped)" if skipped else ")"
        return [*lines, summary]


def check_condition(
    condition: Condition,
    candidate: EvaluationResult,
    baselines: Mapping[str, EvaluationResult | None],
    *,
    verdict: str | None,
    verdict_alias: str | None,
    on_missing_baseline: str,
) -> ConditionResult:
    """Evaluate one condition; a missing number fails it with a message saying which."""
    aliases = [ref.alias for ref in condition.references() if ref.alias]
    if condition.verdict is not None and verdict_alias:
        aliases.insert(0, verdict_alias)
    absent = next((alias for alias in aliases if baselines.get(alias) is None), None)
    if absent is not None:
        message = f"skipped: no version at {absent} yet"
        passed = on_missing_baseline != "fail"
        if not passed:
            message += " (on_missing_baseline: fail)"
        return ConditionResult(
            condition.text, condition.op, passed, "skip", None, None, {}, message
        )
    if condition.verdict is not None:
        values: dict[str, Value] = {"verdict": verdict}
        if verdict is None:
            return _failed(condition, values, "no comparison verdict was given")
        passed = condition.holds(verdict, condition.verdict)
        status = "pass" if passed else "fail"
        return ConditionResult(
            condition.text, condition.op, passed, status, verdict, condition.verdict, values
        )
    values = {}
    problems: list[str] = []
    for ref in condition.references():
        values[str(ref)] = _lookup(ref, candidate, baselines, problems)
    if problems:
        return _failed(condition, values, "; ".join(problems))

    def value_of(ref: Reference) -> float:
        value = values[str(ref)]
        assert isinstance(value, float)
        return value

    assert condition.left is not None and condition.right is not None
    try:
        left, right = evaluate(condition.left, value_of), evaluate(condition.right, value_of)
    except (ConditionValueError, OverflowError) as exc:
        return _failed(condition, values, f"cannot compute: {exc}")
    passed = condition.holds(left, right)
    nan = math.isnan(left) or math.isnan(right)
    return ConditionResult(
        condition.text,
        condition.op,
        passed,
        "pass" if passed else "fail",
        left,
        right,
        values,
        "a value is NaN" if nan else None,
    )


def _lookup(
    ref: Reference,
    candidate: EvaluationResult,
    baselines: Mapping[str, EvaluationResult | None],
    problems: list[str],
) -> float | None:
    result = candidate if ref.alias is None else baselines[ref.alias]
    assert result is not None
    whose = "the candidate" if ref.alias is None else ref.alias
    if ref.alias is not None and result.data != candidate.data:
        problems.append(
            f"{ref.alias} was evaluated on {result.data}, the candidate on {candidate.data}; "
            "evaluate both on the same data"
        )
        return None
    value = result.metrics.get(ref.metric)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(
            f"metric {ref.metric!r} is missing from {whose}'s results ({result.run_id})"
        )
        return None
    return float(value)


def _failed(condition: Condition, values: dict[str, Value], message: str) -> ConditionResult:
    return ConditionResult(condition.text, condition.op, False, "fail", None, None, values, message)


def _format(value: Value) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
