"""Usage of the LLM request path over time: tokens, cost, requests, errors and latency.

The usage page and any report read the same numbers from here, so the server
stays a thin layer over one aggregation. Calls are grouped into equal time
buckets — a minute, an hour or a day, chosen from the width of the range so a
chart has a readable number of points — per model and per virtual key, with
totals over the whole range.

The database adds up counts, tokens and cost (``GROUP BY`` bucket and model,
bucket and key: ``SqlTraces.aggregate_calls``), so they are exact however
many calls a busy gateway made. Latency percentiles need the latencies
themselves: they come from at most ``LATENCY_SAMPLE`` calls, every n-th one
over the range when there are more (``Usage.sampled``). They interpolate
linearly between the two nearest calls (the numpy default), over cache hits
and errors too, since both are latency a client saw.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
LATENCY_SAMPLE = 50_000
"""At most this many calls' latencies are read for the percentiles of one report."""

Latency = tuple[int, str, str | None, float]
"""``(started_at, model, key_id, latency_ms)`` of one call."""


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
        sampled: the percentiles come from ``sampled_calls`` of ``totals.requests``
            calls; counts, tokens and cost are exact regardless.
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
    sampled: bool = False
    sampled_calls: int = 0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of ``values``, interpolated; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


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
    """Bucket ``calls`` between ``since`` (inclusive) and ``until`` (exclusive), in memory.

    The same figures ``usage`` has the database add up, from records at hand.
    Buckets start on whole minutes, hours or days (UTC); calls outside the
    range are ignored. Empty buckets are present with zero counts and no
    percentiles, so a chart shows a quiet hour as a gap in latency and a zero
    in requests.
    """
    name, width = _bucket(since, until, bucket)
    inside = [c for c in calls if since <= c.started_at < until]
    cells: dict[tuple[int, str, str | None], list[LLMCallRecord]] = {}
    for c in inside:
        cells.setdefault((c.started_at - c.started_at % width, c.model, c.key_id), []).append(c)
    rows = [_row(b, m, k, group) for (b, m, k), group in cells.items()]
    latencies = [(c.started_at, c.model, c.key_id, c.latency_ms) for c in inside]
    return assemble(
        _regroup(rows, "model"),
        _regroup(rows, "key_id"),
        latencies,
        since=since,
        until=until,
        bucket=name,
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
    latency_sample: int | None = None,
) -> Usage:
    """Usage of the workspace's LLM calls over the ``last`` named range or ``since``/``until``.

    With neither, the last 24 hours. A named range is whole buckets ending
    with the current one (``1h`` is sixty minutes, the last one still running). ``model``, ``key_id`` and ``project``
    narrow the calls as ``CallQuery`` does. Counts and sums are exact; the
    percentiles come from at most ``latency_sample`` calls
    (``LATENCY_SAMPLE`` by default).
    """
    from shipyard.workspace import current_workspace

    ws = workspace or current_workspace()
    end = until if until is not None else now_ms() + 1
    if since is not None:
        start = since
    else:
        # a named range ends with the current bucket, so "1h" is sixty whole minutes
        width = range_ms(last or "24h")
        step = BUCKETS.get(bucket or bucket_for(width), 1)  # a bad bucket fails in _bucket
        end = -(-end // step) * step
        start = end - width
    name, width = _bucket(start, end, bucket)
    query = CallQuery(model=model, key_id=key_id, project=project, since=start, until=end)
    found = _aggregate(ws)(
        query,
        groupings=(("model",), ("key_id",)),
        bucket_ms=width,
        latency_sample=max(1, LATENCY_SAMPLE if latency_sample is None else latency_sample),
    )
    by_model, by_key = found.groups
    return assemble(
        by_model,
        by_key,
        found.latencies,
        since=start,
        until=end,
        bucket=name,
        sampled=found.sampled,
    )


def key_totals(
    workspace: Workspace, *, since: int, until: int | None = None
) -> dict[str, UsageStats]:
    """Each key's calls, tokens and cost since ``since`` (one ``GROUP BY key_id``; no percentiles)."""
    query = CallQuery(since=since, until=until)
    (rows,) = _aggregate(workspace)(query, groupings=(("key_id",),)).groups
    return {r["key_id"] or NO_KEY: _stats(r) for r in rows}


def assemble(
    model_rows: Sequence[dict[str, Any]],
    key_rows: Sequence[dict[str, Any]],
    latencies: Sequence[Latency],
    *,
    since: int,
    until: int,
    bucket: str,
    sampled: bool = False,
) -> Usage:
    """A ``Usage`` from sums per (bucket, model) and (bucket, key) and a set of latencies."""
    width = BUCKETS[bucket]
    first = since - since % width
    times = list(range(first, until, width))
    by_model_lat: dict[tuple[str, int], list[float]] = {}
    by_key_lat: dict[tuple[str, int], list[float]] = {}
    for at, model, key, ms in latencies:
        i = (at - first) // width
        by_model_lat.setdefault((model, i), []).append(ms)
        by_model_lat.setdefault((model, -1), []).append(ms)
        by_key_lat.setdefault((key or NO_KEY, i), []).append(ms)
        by_key_lat.setdefault((key or NO_KEY, -1), []).append(ms)
    keyed = [{**r, "key_id": r["key_id"] or NO_KEY} for r in key_rows]
    by_model, model_totals = _series(model_rows, "model", times, first, width, by_model_lat)
    by_key, key_totals = _series(keyed, "key_id", times, first, width, by_key_lat)
    everything = [ms for _, _, _, ms in latencies]
    totals = _stats(_sum(model_rows), everything)
    return Usage(
        since=since,
        until=until,
        bucket=bucket,
        bucket_ms=width,
        times=times,
        by_model=by_model,
        by_key=by_key,
        model_totals=model_totals,
        key_totals=key_totals,
        totals=totals,
        sampled=sampled,
        sampled_calls=len(latencies),
    )


def _series(
    rows: Sequence[dict[str, Any]],
    column: str,
    times: list[int],
    first: int,
    width: int,
    latencies: dict[tuple[str, int], list[float]],
) -> tuple[dict[str, list[UsageStats]], dict[str, UsageStats]]:
    """Per group: one ``UsageStats`` per bucket, and the group's totals (largest cost first)."""
    cells: dict[str, dict[int, dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault(r[column], {})[(r["bucket"] - first) // width] = r
    series = {
        name: [
            _stats(cell[i], latencies.get((name, i), [])) if i in cell else UsageStats()
            for i in range(len(times))
        ]
        for name, cell in sorted(cells.items())
    }
    totals = {
        name: _stats(_sum(list(cell.values())), latencies.get((name, -1), []))
        for name, cell in cells.items()
    }
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1].cost_usd, -kv[1].requests, kv[0]))
    return series, dict(ordered)


_SUMMED = ("requests", "errors", "cache_hits", "prompt_tokens", "completion_tokens", "cost_usd")


def _sum(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(_SUMMED, 0)
    for r in rows:
        for name in _SUMMED:
            out[name] += r[name]
    return out


def _stats(row: dict[str, Any], latencies: Sequence[float] = ()) -> UsageStats:
    return UsageStats(
        requests=int(row["requests"]),
        errors=int(row["errors"]),
        cache_hits=int(row["cache_hits"]),
        prompt_tokens=int(row["prompt_tokens"]),
        completion_tokens=int(row["completion_tokens"]),
        cost_usd=float(row["cost_usd"]),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
    )


def _row(bucket: int, model: str, key: str | None, calls: list[LLMCallRecord]) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "model": model,
        "key_id": key,
        "requests": len(calls),
        "errors": sum(1 for c in calls if c.status != "ok"),
        "cache_hits": sum(1 for c in calls if c.cache),
        "prompt_tokens": sum(c.prompt_tokens for c in calls),
        "completion_tokens": sum(c.completion_tokens for c in calls),
        "cost_usd": sum(c.cost_usd for c in calls),
    }


def _regroup(rows: Sequence[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    """Rows per (bucket, model, key) summed to rows per (bucket, ``column``)."""
    groups: dict[tuple[int, Any], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["bucket"], r[column]), []).append(r)
    return [{"bucket": b, column: v, **_sum(rs)} for (b, v), rs in groups.items()]


def _bucket(since: int, until: int, bucket: str | None) -> tuple[str, int]:
    if until <= since:
        raise InvalidInput(f"usage range is empty: until ({until}) is not after since ({since})")
    name = bucket or bucket_for(until - since)
    if name not in BUCKETS:
        raise InvalidInput(f"unknown bucket {name!r}; use one of {', '.join(BUCKETS)}")
    return name, BUCKETS[name]


def _aggregate(ws: Workspace) -> Any:
    """The store's SQL aggregation; a remote store has none (its server makes the reports)."""
    found = getattr(ws.store.traces, "aggregate_calls", None)
    if found is None:
        raise InvalidInput(
            "usage reports need direct database access (SHIPYARD_DB or SHIPYARD_HOME), "
            "not a remote SHIPYARD_URI; open the server's /ui/usage page instead"
        )
    return found
