"""How values read on a page: times, durations, sizes, metric values and params.

Registered as Jinja filters by ``render``; plain functions so tests can call them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from shipyard.core.units import duration, filesize
from shipyard.store.records import ParamValue

DASH = "—"


def when(ms: int | None) -> str:
    """Milliseconds since the epoch as ``2024-05-01 12:34:56`` (UTC)."""
    if ms is None:
        return DASH
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds")


def metric(value: float | None) -> str:
    """A metric value with six significant digits; NaN and infinities spelt out."""
    if value is None:
        return DASH
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def param(value: ParamValue) -> str:
    """A param as the user logged it: numbers as numbers, booleans as true/false."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return metric(value)
    return str(value)


def short_id(run_id: str) -> str:
    return run_id[:8]


FILTERS: dict[str, Any] = {
    "when": when,
    "iso": iso,
    "duration": duration,
    "filesize": filesize,
    "metric": metric,
    "param": param,
    "short_id": short_id,
}
