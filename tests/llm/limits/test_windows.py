"""Fixed UTC calendar windows and how a refusal tells when they reset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shipyard.llm.limits.windows import (
    budget_window,
    describe_reset,
    humanize_seconds,
    minute_window,
)


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def test_minute_window_is_the_calendar_minute() -> None:
    w = minute_window(ms(2026, 12, 4, 15, 48, 37) + 123)
    assert (w.start, w.end) == (ms(2026, 12, 4, 15, 48), ms(2026, 12, 4, 15, 49))
    assert w.seconds_left(ms(2026, 12, 4, 15, 48, 37) + 123) == 23  # rounded up, never early


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        ("hour", (2026, 12, 4, 15, 48), (2026, 12, 4, 15), (2026, 12, 4, 16)),
        ("day", (2026, 12, 4, 15, 48), (2026, 12, 4), (2026, 12, 5)),
        ("day", (2026, 12, 31, 23, 59), (2026, 12, 31), (2027, 1, 1)),
        # ISO weeks start on Monday: 2026-12-04 is a Friday
        ("week", (2026, 12, 4, 15, 48), (2026, 11, 30), (2026, 12, 7)),
        ("week", (2026, 11, 30, 0, 0), (2026, 11, 30), (2026, 12, 7)),
        ("week", (2026, 12, 6, 23, 59), (2026, 11, 30), (2026, 12, 7)),
        ("month", (2026, 12, 4, 15, 48), (2026, 12, 1), (2027, 1, 1)),
        ("month", (2028, 2, 29, 12, 0), (2028, 2, 1), (2028, 3, 1)),
    ],
)
def test_budget_windows_follow_the_utc_calendar(
    period: str, now: tuple[int, ...], start: tuple[int, ...], end: tuple[int, ...]
) -> None:
    w = budget_window(period, ms(*now))
    assert (w.start, w.end) == (ms(*start), ms(*end))


def test_a_total_budget_never_resets() -> None:
    w = budget_window("total", ms(2026, 12, 4))
    assert w.start == 0 and w.end is None and w.seconds_left(ms(2026, 12, 4)) is None
    assert describe_reset(w, ms(2026, 12, 4)) == "it does not reset (a total budget)"
    with pytest.raises(ValueError, match="fortnight"):
        budget_window("fortnight", 0)


def test_reset_is_told_as_a_time_and_a_countdown() -> None:
    now = ms(2026, 12, 4, 15, 48)
    text = describe_reset(budget_window("day", now), now)
    assert text == "it resets at 2026-12-05 00:00 UTC (in 8h 12m)"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "1 s"),
        (23, "23 s"),
        (59.5, "1m 00s"),
        (245, "4m 05s"),
        (8 * 3600 + 720, "8h 12m"),
        (3 * 86400 + 4 * 3600 + 5, "3d 4h"),
    ],
)
def test_humanize_seconds(seconds: float, text: str) -> None:
    assert humanize_seconds(seconds) == text
