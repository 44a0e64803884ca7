"""Per-case scorers that compare an output with the expected value: exact, contains, regex, number.

Each returns True/False per case, so its metric is the share of cases that
pass; a case without an expected value (where one is needed) is not scored.
"""

from __future__ import annotations

import math
import re
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import scorer
from shipyard.evals.scorers.values import as_number, as_text


def _norm(value: Any, ignore_case: bool, strip: bool) -> str:
    text = as_text(value)
    if strip:
        text = text.strip()
    return text.casefold() if ignore_case else text


@scorer("exact_match")
def exact_match(case: CaseResult, *, ignore_case: bool = True, strip: bool = True) -> bool | None:
    """Output equals the expected value (by default ignoring case and surrounding space)."""
    if case.expected is None:
        return None
    return _norm(case.output, ignore_case, strip) == _norm(case.expected, ignore_case, strip)


@scorer("contains")
def contains(
    case: CaseResult, *, value: str | None = None, ignore_case: bool = True
) -> bool | None:
    """Output contains the expected value, or the fixed ``value`` when one is given."""
    needle = value if value is not None else case.expected
    if needle is None:
        return None
    return _norm(needle, ignore_case, True) in _norm(case.output, ignore_case, False)


def _check_pattern(options: dict[str, Any]) -> dict[str, Any]:
    pattern = options["pattern"]
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InvalidInput(
            f"scorer 'regex': pattern {pattern!r} is not a valid regular expression: {exc}"
        ) from None
    return options


@scorer("regex", prepare=_check_pattern)
def regex(case: CaseResult, *, pattern: str, ignore_case: bool = False) -> bool:
    """The pattern is found in the output (``re.search``: anchor it with ^ and $ to match all)."""
    flags = re.IGNORECASE if ignore_case else 0
    return re.search(pattern, as_text(case.output), flags) is not None


def _check_tolerance(options: dict[str, Any]) -> dict[str, Any]:
    for key in ("tolerance", "relative"):
        if options.get(key, 0.0) < 0:
            raise InvalidInput(f"scorer 'numeric_tolerance': {key} must be >= 0")
    return options


@scorer("numeric_tolerance", prepare=_check_tolerance)
def numeric_tolerance(
    case: CaseResult, *, tolerance: float = 1e-6, relative: float = 0.0
) -> bool | None:
    """Output is within ``tolerance`` or ``relative`` × |expected| of the expected number.

    The output may be a number or a text holding one (the first number in it
    counts, as in "The answer is 42."); an output without a number is wrong.
    A case whose expected value is not a number is not scored.
    """
    expected = as_number(case.expected)
    if expected is None:
        return None
    got = as_number(case.output, search=True)
    if got is None:
        return False
    return math.isclose(got, expected, rel_tol=relative, abs_tol=tolerance)
