"""``/ui/usage``: tokens, cost, requests and latency of LLM calls over time, per model and key.

All the arithmetic is ``shipyard.llm.usage``; this module only turns its
buckets into the chart JSON ``charts.js`` draws (the same look as metric
charts, with time on the x axis) and its totals into two tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

from shipyard.llm.usage import NO_KEY, RANGES, Usage, UsageStats, usage
from shipyard.server.pages import charts
from shipyard.server.pages.charts import PALETTE
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.server.pages.traces import FORMAT, key_names

router = page_router()
RANGE_LABELS = {"1h": "Last hour", "24h": "Last day", "7d": "Last 7 days", "30d": "Last 30 days"}
X_TITLE = "time (UTC)"

Metric = Callable[[UsageStats], float | None]


@router.get("/ui/usage")
def usage_page(
    request: Request, ws: WorkspaceDep, range: str = "24h", project: str = ""
) -> Response:
    report = usage(ws, last=range, project=project.strip() or None)
    keys = key_names(ws)
    return render(
        request,
        "usage.html",
        {
            "title": "Usage",
            "report": report,
            "range": range,
            "ranges": [(r, RANGE_LABELS.get(r, r)) for r in RANGES],
            "project": project.strip(),
            "model_charts": model_charts(report),
            "key_charts": key_charts(report, keys),
            "keys": keys,
            "no_key": NO_KEY,
            "fmt": FORMAT,
        },
    )


def model_charts(report: Usage) -> list[dict[str, Any]]:
    """Tokens, cost, requests and p50/p95 latency per model over time."""
    if not report.by_model:
        return []
    series = report.by_model
    latency = _latency(report, series)
    return [
        _chart("tokens per model", _lines(report, series, lambda s: s.tokens)),
        _chart("cost per model (USD)", _lines(report, series, lambda s: s.cost_usd)),
        _chart("requests per model", _lines(report, series, lambda s: s.requests)),
        _chart("latency p50 / p95 (ms)", latency),
        _chart("errors per model", _lines(report, series, lambda s: s.errors)),
    ]


def key_charts(report: Usage, keys: dict[str, str]) -> list[dict[str, Any]]:
    """Cost, tokens and p50/p95 latency per virtual key over time (no key: one more line)."""
    if not report.by_key:
        return []
    labels = {k: keys.get(k, k) for k in report.by_key}
    return [
        _chart("cost per key (USD)", _lines(report, report.by_key, lambda s: s.cost_usd, labels)),
        _chart("tokens per key", _lines(report, report.by_key, lambda s: s.tokens, labels)),
        _chart("latency per key p50 / p95 (ms)", _latency(report, report.by_key, labels)),
    ]


def _latency(
    report: Usage, series: dict[str, list[UsageStats]], labels: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """A solid p50 and a dotted p95 line per group, in the group's colour."""
    out: list[dict[str, Any]] = []
    for i, (name, stats) in enumerate(series.items()):
        label = (labels or {}).get(name, name)
        color = PALETTE[i % len(PALETTE)]
        out.append(_line(report, f"{label} p50", stats, lambda s: s.p50_ms, color))
        out.append(_line(report, f"{label} p95", stats, lambda s: s.p95_ms, color, dash=True))
    return out


def _lines(
    report: Usage,
    series: dict[str, list[UsageStats]],
    metric: Metric,
    labels: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    return [
        _line(report, (labels or {}).get(name, name), stats, metric, PALETTE[i % len(PALETTE)])
        for i, (name, stats) in enumerate(series.items())
    ]


def _line(
    report: Usage,
    name: str,
    stats: list[UsageStats],
    metric: Metric,
    color: str,
    *,
    dash: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "x": [_iso(t) for t in report.times],
        "y": [metric(s) for s in stats],
        "sampled": False,
        "color": color,
    }
    if dash:
        out["dash"] = "dot"
    if any(v is None for v in out["y"]):
        out["markers"] = True  # a quiet bucket is a gap: a lone point needs a marker to show
    return out


def _chart(key: str, traces: list[dict[str, Any]]) -> dict[str, Any]:
    return {**charts.chart(key, traces), "x_title": X_TITLE}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
