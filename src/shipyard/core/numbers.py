"""Metric values on the wire: JSON has no NaN or infinity, so they travel as strings."""

from __future__ import annotations

import math

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def float_to_json(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def float_from_json(value: float | int | str | None) -> float:
    if value is None:
        return math.nan
    if isinstance(value, str):
        try:
            return _SPECIAL[value]
        except KeyError:
            return float(value)
    return float(value)
