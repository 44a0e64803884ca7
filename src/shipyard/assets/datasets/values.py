"""Cell values as strict JSON, so stats and diffs can go into any JSON column or body.

Strict means what PostgreSQL's ``jsonb`` accepts: no ``NaN`` or ``Infinity``
(they become ``None``, or a string where the distinction matters), no bytes,
no datetimes. Only the few values a stats record or a diff example holds go
through here, never a whole column.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import uuid
from collections.abc import Mapping
from typing import Any

JsonValue = None | bool | int | float | str | list[Any] | dict[str, Any]


def finite(value: object) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def to_json_value(value: object) -> JsonValue:
    """One Python value (as ``Scalar.as_py`` or ``to_pylist`` gives it) as strict JSON."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "base64:" + base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Arrow maps come back as lists of (key, value) pairs; keep them as pairs.
        return [to_json_value(v) for v in value]
    return str(value)


def to_json_row(row: Mapping[str, object]) -> dict[str, JsonValue]:
    """A row dict (``Table.to_pylist`` element) with every value made strict JSON."""
    return {name: to_json_value(value) for name, value in row.items()}
