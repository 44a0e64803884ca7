"""Usage of the LLM request path over time: tokens, cost, requests, errors and latency.

The usage page and any report read the same numbers from here, so the server
stays a thin layer over one aggregation. Calls (``ws.store.traces.calls``)
are grouped into equal time buckets — a minute, an hour or a day, chosen from
the width of the range so a chart has a readable number of points — per model
and per virtual key, with totals over the whole range.

Latency percentiles interpolate linearly between the two nearest calls (the
numpy default), over every call in the bucket: cache hits and errors too,
since both are latency a client saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from shipyard.core.clock import now_ms
from shipyard.core.errors import InvalidInput
from shipyard.store.trace_records import CallQuery, LLMCallRecord
from shipyard.workspace import Workspace

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
BUCKETS: dict[str, int] = {"minute": MINUTE_MS, "hour": HOUR_MS, "day": DAY_MS}
RANGES: dict[str, int] = {"1h": HOUR_MS, "24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
"""The ranges the usage page offers, by their ``?range=`` name."""
NO_KEY = "(no key)"
"""The group of calls made without a virtual key (the Python API, an open gateway)."""
MAX_CALLS = 100_000


@dataclass(frozen=True)
class UsageStats:
    """What a set of calls adds up to."""

    requests: int = 0
    errors: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Usage:
    """Usage between ``since`` and ``until`` in buckets of ``bucket_ms``.

    Attributes:
        times: the start of each bucket (ms since the epoch), oldest first.
        by_model / by_key: one ``UsageStats`` per bucket, aligned with ``times``.
        model_totals / key_totals: each model's and key's whole-range figures,
            largest cost first.
        totals: every call in the range.
        truncated: the store returned ``MAX_CALLS`` calls, so later ones are missing.
    """

    since: int
    until: int
    bucket: str
    bucket_ms: int
    times: list[int]
    by_model: dict[str, list[UsageStats]] = field(default_factory=dict)
    by_key: dict[str, list[UsageStats]] = field(default_factory=dict)
    model_totals: dict[str, UsageStats] = field(default_factory=dict)
    key_totals: dict[str, UsageStats] = field(default_factory=dict)
    totals: UsageStats = field(default_factory=UsageStats)
    truncated: bool = False


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of ``values``, interpolated; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def stats(calls: Iterable[LLMCallRecord]) -> UsageStats:
    """Sum ``calls`` and take their latency percentiles."""
    calls = list(calls)
    latencies = [c.latency_ms for c in calls]
    return UsageStats(
        requests=len(calls),
        errors=sum(1 for c in calls if c.status != "ok"),
        cache_hits=sum(1 for c in calls if c.cache),
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
        cost_usd=sum(c.cost_usd for c in calls),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
    )


def bucket_for(span_ms: int) -> str:
    """Minutes up to two hours, hours up to seven days, days beyond."""
    if span_ms <= 2 * HOUR_MS:
        return "minute"
    if span_ms <= 7 * DAY_MS:
        return "hour"
    return "day"


def range_ms(name: str) -> int:
    """The width of a named range (``1h``, ``24h``, ``7d``, ``30d``)."""
    try:
        return RANGES[name]
    except KeyError:
        raise InvalidInput(
            f"unknown usage range {name!r}; use one of {', '.join(RANGES)}"
        ) from None


def summarize(
    calls: Iterable[LLMCallRecord], *, since: int, until: int, bucket: str | None = None
) -> Usage:
    """Bucket ``calls`` between ``since`` (inclusive) and ``until`` (exclusive).

    Buckets start on whole minutes, hours or days (UTC); calls outside the
    range are ignored. Empty buckets are present with zero counts and no
    percentiles, so a chart shows a quiet hour as a gap in latency and a zero
    in requests.
    """
    if until <= since:
        raise InvalidInput(f"usage range is empty: until ({until}) is not after since ({since})")
    name = bucket or bucket_for(until - since)
    if name not in BUCKETS:
        raise InvalidInput(f"unknown bucket {name!r}; use one of {', '.join(BUCKETS)}")
    width = BUCKETS[name]
    first = since - since % width
    times = list(range(first, until, width))
    inside = [c for c in calls if since <= c.started_at < until]

    def series(group: Callable[[LLMCallRecord], str]) -> dict[str, list[UsageStats]]:
        cells: dict[str, list[list[LLMCallRecord]]] = {}
        for c in inside:
            row = cells.setdefault(group(c), [[] for _ in times])
            row[(c.started_at - first) // width].append(c)
        return {k: [stats(cell) for cell in row] for k, row in sorted(cells.items())}

    return Usage(
        since=since,
        until=until,
        bucket=name,
        bucket_ms=width,
        times=times,
        by_model=series(_model),
        by_key=series(_key),
        model_totals=_totals(inside, _model),
        key_totals=_totals(inside, _key),
        totals=stats(inside),
    )


def usage(
    workspace: Workspace | None = None,
    *,
    last: str | None = None,
    since: int | None = None,
    until: int | None = None,
    bucket: str | None = None,
    model: str | None = None,
    key_id: str | None = None,
    project: str | None = None,
) -> Usage:
    """Usage of the workspace's LLM calls over the ``last`` named range or ``since``/``until``.

    With neither, the last 24 hours. A named range is whole buckets ending
    with the current one (``1h`` is sixty minutes, the last one still running). ``model``, ``key_id`` and ``project``
    narrow the calls as ``CallQuery`` does.
    """
    from shipyard.workspace import current_workspace

    ws = workspace or current_workspace()
    end = until if until is not None else now_ms() + 1
    if since is not None:
        start = since
    else:
        # a named range ends with the current bucket, so "1h" is sixty whole minutes
        width = range_ms(last or "24h")
        step = BUCKETS.get(bucket or bucket_for(width), 1)  # a bad bucket fails in summarize
        end = -(-end // step) * step
        start = end - width
    calls = ws.store.traces.calls(
        CallQuery(
            model=model,
            key_id=key_id,
            project=project,
            since=start,
            until=end,
            limit=MAX_CALLS,
        )
    )
    result = summarize(calls, since=start, until=end, bucket=bucket)
    return replace(result, truncated=True) if len(calls) >= MAX_CALLS else result


def _model(call: LLMCallRecord) -> str:
    return call.model


def _key(call: LLMCallRecord) -> str:
    return call.key_id or NO_KEY


def _totals(
    calls: Sequence[LLMCallRecord], group: Callable[[LLMCallRecord], str]
) -> dict[str, UsageStats]:
    groups: dict[str, list[LLMCallRecord]] = {}
    for c in calls:
        groups.setdefault(group(c), []).append(c)
    totals = {k: stats(v) for k, v in groups.items()}
    return dict(sorted(totals.items(), key=lambda kv: (-kv[1].cost_usd, -kv[1].requests, kv[0])))
