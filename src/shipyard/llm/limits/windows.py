"""Fixed windows on the UTC calendar: the minute of rate limits, the period of a budget.

Fixed rather than sliding windows: one counter per window, one atomic
increment per request, and a reset time that can be told to the caller
("it resets at 00:00 UTC"). The cost is the usual one of fixed windows: a
client can use a full allowance at the end of one window and another at the
start of the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
FOREVER_MS = 100 * 366 * DAY_MS
"""How long the counter of a ``total`` budget lives: as good as forever."""


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in milliseconds since the epoch; ``end`` None for a total that never resets."""

    start: int
    end: int | None

    @property
    def length_ms(self) -> int:
        return FOREVER_MS if self.end is None else self.end - self.start

    def seconds_left(self, now_ms: int) -> float | None:
        """Whole seconds until the window ends (at least 1), None if it never does."""
        if self.end is None:
            return None
        return float(max(1, math.ceil((self.end - now_ms) / 1000)))


def minute_window(now_ms: int) -> Window:
    start = now_ms - now_ms % MINUTE_MS
    return Window(start, start + MINUTE_MS)


def budget_window(period: str | None, now_ms: int) -> Window:
    """The calendar hour, day, ISO week (from Monday), month (UTC), or all time for ``total``."""
    if period == "hour":
        start = now_ms - now_ms % HOUR_MS
        return Window(start, start + HOUR_MS)
    if period == "day" or period is None:
        start = now_ms - now_ms % DAY_MS
        return Window(start, start + DAY_MS)
    if period == "week":
        day = now_ms - now_ms % DAY_MS
        weekday = datetime.fromtimestamp(day / 1000, tz=UTC).weekday()  # Monday is 0
        start = day - weekday * DAY_MS
        return Window(start, start + 7 * DAY_MS)
    if period == "month":
        at = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
        first = datetime(at.year, at.month, 1, tzinfo=UTC)
        following = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)
        return Window(_ms(first), _ms(following))
    if period == "total":
        return Window(0, None)
    raise ValueError(f"unknown budget period {period!r}")


def describe_reset(window: Window, now_ms: int) -> str:
    """``it resets at 2026-12-05 00:00 UTC (in 8h 12m)``, for a refusal message."""
    if window.end is None:
        return "it does not reset (a total budget)"
    at = datetime.fromtimestamp(window.end / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"it resets at {at} (in {humanize_seconds((window.end - now_ms) / 1000)})"


def humanize_seconds(seconds: float) -> str:
    """``23 s``, ``4m 05s``, ``8h 12m``, ``3d 4h``: short, rounded up so it is never too early."""
    left = max(1, math.ceil(seconds))
    if left < 60:
        return f"{left} s"
    delta = timedelta(seconds=left)
    days, rest = delta.days, delta.seconds
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs:02d}s"


def _ms(at: datetime) -> int:
    return int(at.timestamp()) * 1000
