"""Metric series as chart data: JSON-safe, and at most ``MAX_POINTS`` points per trace.

A browser draws a few thousand points per line comfortably; a million-step
series is reduced on the server to the first and last points plus the
minimum and maximum of each bucket, so spikes and the overall shape survive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.store.records import MetricPoint

MAX_POINTS = 5000
# One colour per run, in the order runs are compared; also used for the table swatches.
PALETTE = (
    "#2563eb",
    "#ea580c",
    "#16a34a",
    "#dc2626",
    "#9333ea",
    "#0891b2",
    "#ca8a04",
    "#db2777",
    "#4b5563",
    "#65a30d",
)


@dataclass(frozen=True)
class SeriesStats:
    """What the metrics table shows next to a chart: last value, range and point count."""

    latest: float | None
    minimum: float | None
    maximum: float | None
    points: int


def stats(points: Sequence[MetricPoint]) -> SeriesStats:
    finite = [p.value for p in points if math.isfinite(p.value)]
    return SeriesStats(
        latest=points[-1].value if points else None,
        minimum=min(finite) if finite else None,
        maximum=max(finite) if finite else None,
        points=len(points),
    )


def downsample(
    steps: Sequence[int], values: Sequence[float | None], max_points: int = MAX_POINTS
) -> tuple[list[int], list[float | None]]:
    """Keep the first and last points and each bucket's min and max, in step order.

    ``values`` holds ``None`` for points that are not finite; a bucket of only
    such points keeps one of them so the line shows a gap there.
    """
    n = len(steps)
    if n <= max_points:
        return list(steps), list(values)
    buckets = max((max_points - 2) // 2, 1)
    inner = n - 2
    keep = [0]
    for b in range(buckets):
        lo = 1 + b * inner // buckets
        hi = 1 + (b + 1) * inner // buckets
        lo_i = hi_i = -1
        lo_v = hi_v = 0.0
        for i in range(lo, hi):
            v = values[i]
            if v is None:
                continue
            if lo_i < 0 or v < lo_v:
                lo_i, lo_v = i, v
            if hi_i < 0 or v > hi_v:
                hi_i, hi_v = i, v
        if lo_i < 0:
            if lo < hi:
                keep.append(lo)
            continue
        keep.extend(sorted({lo_i, hi_i}))
    keep.append(n - 1)
    return [steps[i] for i in keep], [values[i] for i in keep]


def trace(name: str, points: Sequence[MetricPoint], color: str | None = None) -> dict[str, Any]:
    """One line for plotly: x = step, y = value (non-finite values as gaps)."""
    steps = [p.step for p in points]
    values = [p.value if math.isfinite(p.value) else None for p in points]
    xs, ys = downsample(steps, values)
    out: dict[str, Any] = {"name": name, "x": xs, "y": ys, "sampled": len(xs) < len(points)}
    if color:
        out["color"] = color
    return out


def chart(key: str, traces: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON ``charts.js`` draws: a title (the metric key) and its traces."""
    return {"key": key, "traces": traces}
