"""How scorers read outputs and expected values: as text, as a label, as a number.

Targets answer in many shapes (a string from an LLM, an int from a
classifier, a dict from an app), and eval datasets store expected values the
way a CSV or a JSONL file gave them. One normalisation for every scorer keeps
``1``, ``1.0`` and ``"1"`` the same label and makes a dict comparable to the
JSON text of it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def as_text(value: Any) -> str:
    """Text of a value: strings as they are, None as "", containers as sorted JSON.

    A float that is a whole number reads like an int (``1.0`` → ``"1"``), so a
    label stored as a float in a table matches the int a model answered.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def label_of(value: Any) -> str | None:
    """The class label a value stands for: its text without surrounding space; None stays None.

    This is the normalisation behind "correct": ``label_of(output) == label_of(expected)``.
    """
    if value is None:
        return None
    if type(value) is str:  # the common case, kept fast for bootstrap resampling
        return value.strip()
    return as_text(value).strip()


def as_number(value: Any, *, search: bool = False) -> float | None:
    """A finite float from a number or numeric text; None when there is none.

    With ``search`` the first number inside a longer text counts too
    (``"The answer is 42."`` → 42.0), which is how an LLM usually answers.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    text = as_text(value).strip()
    try:
        number = float(text)
    except ValueError:
        if not search:
            return None
        found = _NUMBER.search(text)
        if found is None:
            return None
        number = float(found.group())
    return number if math.isfinite(number) else None
