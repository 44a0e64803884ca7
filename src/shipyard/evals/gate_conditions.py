"""One gate condition, parsed with ``ast`` against a strict whitelist and evaluated without ``eval``.

A condition is one comparison of two arithmetic expressions over numbers and
metric names: ``f1 >= production.f1 - 0.01``, ``f1[positive] > 0.8``,
``cost_per_1k_usd * 1000 < 500``; or the comparison verdict against one of its
three values: ``verdict != significantly_worse``. A policy file is data that
anyone may write, so nothing outside that grammar is accepted.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from shipyard.core.errors import InvalidInput
from shipyard.evals.compare import VERDICTS

EXAMPLE = "e.g. `f1 >= production.f1 - 0.01` or `verdict != significantly_worse`"
MAX_LENGTH = 500
_ALIAS = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_METRIC = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_COMPARE: dict[type[ast.cmpop], tuple[str, Callable[[float, float], bool]]] = {
    ast.Lt: ("<", lambda a, b: a < b),
    ast.LtE: ("<=", lambda a, b: a <= b),
    ast.Gt: (">", lambda a, b: a > b),
    ast.GtE: (">=", lambda a, b: a >= b),
    ast.Eq: ("==", lambda a, b: a == b),
    ast.NotEq: ("!=", lambda a, b: a != b),
}
_ARITHMETIC: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


@dataclass(frozen=True)
class Reference:
    """A metric of the candidate (``alias`` None) or of the version at an alias."""

    metric: str
    alias: str | None = None

    def __str__(self) -> str:
        return f"{self.alias}.{self.metric}" if self.alias else self.metric


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Arithmetic:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Negation:
    operand: Expr


Expr = Number | Reference | Arithmetic | Negation


class ConditionValueError(ArithmeticError):
    """Raised while evaluating a condition whose arithmetic has no value (a division by zero)."""


@dataclass(frozen=True)
class Condition:
    """A parsed condition: two expressions and an operator, or a verdict check."""

    text: str
    op: str
    left: Expr | None = None
    right: Expr | None = None
    verdict: str | None = None  # the value ``verdict`` is compared with

    def references(self) -> tuple[Reference, ...]:
        """Every metric the condition reads, in order of appearance, without repeats."""
        found: list[Reference] = []
        for expr in (self.left, self.right):
            if expr is not None:
                _collect(expr, found)
        return tuple(dict.fromkeys(found))

    def holds(self, left: float | str, right: float | str) -> bool:
        """Whether ``left op right``; NaN never satisfies a condition."""
        if isinstance(left, float) and math.isnan(left):
            return False
        if isinstance(right, float) and math.isnan(right):
            return False
        if isinstance(left, str) or isinstance(right, str):
            return (left == right) == (self.op == "==")
        test = next(check for symbol, check in _COMPARE.values() if symbol == self.op)
        return test(left, right)


def evaluate(expr: Expr, value_of: Callable[[Reference], float]) -> float:
    """The value of ``expr``, reading each metric through ``value_of``."""
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Reference):
        return value_of(expr)
    if isinstance(expr, Negation):
        return -evaluate(expr.operand, value_of)
    left, right = evaluate(expr.left, value_of), evaluate(expr.right, value_of)
    if expr.op == "+":
        return left + right
    if expr.op == "-":
        return left - right
    if expr.op == "*":
        return left * right
    if right == 0:
        raise ConditionValueError("division by zero")
    return left / right


def parse_condition(text: object) -> Condition:
    """Parse one condition; ``InvalidInput`` says what is wrong (the caller adds where)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"a condition must be a non-empty string, {EXAMPLE}")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"a condition is at most {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = getattr(exc, "msg", None) or type(exc).__name__
        raise InvalidInput(f"not a valid condition ({reason}); write {EXAMPLE}") from None
    if isinstance(tree, ast.BoolOp):
        raise InvalidInput("one comparison per condition; put each on its own line")
    if not isinstance(tree, ast.Compare):
        raise InvalidInput(f"a condition compares two values with < <= > >= == or !=, {EXAMPLE}")
    if len(tree.ops) != 1:
        raise InvalidInput("one comparison per condition (no `a < b < c`); split it in two")
    op = _operator(tree.ops[0])
    left, right = tree.left, tree.comparators[0]
    verdict = _verdict_check(left, right, op)
    if verdict is not None:
        return Condition(text.strip(), op, verdict=verdict)
    return Condition(text.strip(), op, _expression(left), _expression(right))


def _operator(node: ast.cmpop) -> str:
    entry = _COMPARE.get(type(node))
    if entry is None:
        raise InvalidInput("the comparison must be one of < <= > >= == !=")
    return entry[0]


def _verdict_check(left: ast.expr, right: ast.expr, op: str) -> str | None:
    names = [node.id for node in (left, right) if isinstance(node, ast.Name)]
    if "verdict" not in names:
        return None
    other = right if isinstance(left, ast.Name) and left.id == "verdict" else left
    if not isinstance(other, ast.Name) or other.id not in VERDICTS:
        raise InvalidInput(f"`verdict` is compared with one of {', '.join(VERDICTS)}")
    if op not in ("==", "!="):
        raise InvalidInput(
            "`verdict` is compared with == or !=, e.g. verdict != significantly_worse"
        )
    return other.id


def _expression(node: ast.expr) -> Expr:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise InvalidInput(f"{node.value!r} is not a number; only numbers and metrics")
        return Number(float(node.value))
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return Negation(_expression(node.operand))
        if isinstance(node.op, ast.UAdd):
            return _expression(node.operand)
        raise InvalidInput("only unary minus is allowed")
    if isinstance(node, ast.BinOp):
        symbol = _ARITHMETIC.get(type(node.op))
        if symbol is None:
            raise InvalidInput("only + - * / are allowed in arithmetic")
        return Arithmetic(symbol, _expression(node.left), _expression(node.right))
    if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
        return _reference(node)
    if isinstance(node, ast.Call):
        raise InvalidInput("function calls are not allowed; use metrics, numbers and + - * /")
    raise InvalidInput(f"{ast.unparse(node)!r} is not allowed; use metrics, numbers and + - * /")


def _reference(node: ast.expr) -> Reference:
    label = None
    if isinstance(node, ast.Subscript):
        label = _label(node.slice)
        node = node.value
    alias = None
    if isinstance(node, ast.Attribute):
        if not isinstance(node.value, ast.Name):
            raise InvalidInput(f"{ast.unparse(node)!r}: write ALIAS.METRIC, e.g. production.f1")
        alias = node.value.id
        if not _ALIAS.match(alias):
            raise InvalidInput(f"{alias!r} is not an alias (lowercase, e.g. production.f1)")
        metric = node.attr
    elif isinstance(node, ast.Name):
        metric = node.id
    else:
        raise InvalidInput(f"{ast.unparse(node)!r} is not a metric; write METRIC or ALIAS.METRIC")
    if not _METRIC.match(metric):
        raise InvalidInput(f"{metric!r} is not a metric name (letters, digits and _)")
    if metric == "verdict":
        raise InvalidInput("`verdict` is only compared with ==/!= to one of " + ", ".join(VERDICTS))
    if metric in VERDICTS:
        raise InvalidInput(f"{metric} is a verdict; compare it with `verdict`")
    return Reference(f"{metric}[{label}]" if label is not None else metric, alias)


def _label(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int):
        if isinstance(node.value, bool):
            raise InvalidInput("a class label is a name, a quoted string or an integer")
        return str(node.value)
    raise InvalidInput("a class label is a name, a quoted string or an integer, e.g. f1[positive]")


def _collect(expr: Expr, found: list[Reference]) -> None:
    if isinstance(expr, Reference):
        found.append(expr)
    elif isinstance(expr, Negation):
        _collect(expr.operand, found)
    elif isinstance(expr, Arithmetic):
        _collect(expr.left, found)
        _collect(expr.right, found)
