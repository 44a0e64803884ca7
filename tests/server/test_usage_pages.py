"""The usage page: charts per model and key over a chosen range, totals tables."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shipyard.core.clock import now_ms
from shipyard.llm.keys import create_key
from shipyard.server.app import create_app
from shipyard.store.trace_records import LLMCallRecord, SpanRecord, TraceRecord
from shipyard.workspace import Workspace, current_workspace


@pytest.fixture
def ws() -> Workspace:
    return current_workspace()


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws))


def record(ws: Workspace, calls: list[LLMCallRecord]) -> None:
    traces = [
        TraceRecord(
            trace_id=c.trace_id,
            name="chat",
            started_at=c.started_at,
            duration_ms=c.latency_ms,
            model=c.model,
            key_id=c.key_id,
        )
        for c in calls
    ]
    spans = [
        SpanRecord(c.trace_id, c.span_id, None, "chat", "llm", c.started_at * 1000, c.latency_ms)
        for c in calls
    ]
    ws.store.traces.record(traces, spans, calls)


def call(i: int, at: int, model: str, key: str | None, latency: float, **kw: Any) -> LLMCallRecord:
    return LLMCallRecord(
        trace_id=f"t{i}",
        span_id=f"s{i}",
        started_at=at,
        operation="chat",
        model=model,
        status=kw.get("status", "ok"),
        latency_ms=latency,
        key_id=key,
        project=kw.get("project", "support"),
        prompt_tokens=100,
        completion_tokens=20,
        cost_usd=kw.get("cost", 0.01),
    )


def charts(html: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html)
    return {json.loads(body)["key"]: json.loads(body) for _, body in found}


def test_usage_page_charts_per_model_and_key(ws: Workspace, client: TestClient) -> None:
    key, _ = create_key("support", name="support-bot", workspace=ws)
    now = now_ms()
    calls = [
        call(i, now - 30 * 60_000 + i, "openai/gpt-4o-mini", key.id, 10.0 * (i + 1))
        for i in range(10)
    ]
    calls.append(call(50, now - 10 * 60_000, "echo/echo", None, 2.0, status="error", cost=0.0))
    calls.append(call(51, now - 3 * 3_600_000, "echo/echo", None, 3.0))  # outside the last hour
    record(ws, calls)

    r = client.get("/ui/usage?range=1h")
    assert r.status_code == 200, r.text
    got = charts(r.text)
    assert set(got) == {
        "tokens per model",
        "cost per model (USD)",
        "requests per model",
        "latency p50 / p95 (ms)",
        "errors per model",
        "cost per key (USD)",
        "tokens per key",
        "latency per key p50 / p95 (ms)",
    }
    requests = {t["name"]: t for t in got["requests per model"]["traces"]}
    assert set(requests) == {"openai/gpt-4o-mini", "echo/echo"}
    assert len(requests["echo/echo"]["x"]) == 60  # one point a minute
    assert sum(requests["openai/gpt-4o-mini"]["y"]) == 10
    assert got["requests per model"]["x_title"] == "time (UTC)"
    latency = {t["name"]: t for t in got["latency p50 / p95 (ms)"]["traces"]}
    p50 = [v for v in latency["openai/gpt-4o-mini p50"]["y"] if v is not None]
    assert p50 == [55.0]
    assert latency["openai/gpt-4o-mini p95"]["dash"] == "dot"
    assert {t["name"] for t in got["cost per key (USD)"]["traces"]} == {"support-bot", "(no key)"}
    per_key = {t["name"]: t for t in got["latency per key p50 / p95 (ms)"]["traces"]}
    assert set(per_key) == {"support-bot p50", "support-bot p95", "(no key) p50", "(no key) p95"}
    assert [v for v in per_key["support-bot p50"]["y"] if v is not None] == [55.0]
    assert [v for v in per_key["support-bot p95"]["y"] if v is not None] == [95.5]
    assert per_key["(no key) p95"]["dash"] == "dot"
    assert "estimated from a sample" not in r.text  # ten calls: every latency counts
    assert "plotly.min.js" in r.text and "/static/charts.js" in r.text

    models = re.findall(r'<tr data-model="([^"]+)">', r.text)
    assert models == ["openai/gpt-4o-mini", "echo/echo"]  # largest cost first
    row = r.text.split('<tr data-model="openai/gpt-4o-mini">')[1].split("</tr>")[0]
    assert "55.0 ms" in row and "95.5 ms" in row and "$0.1" in row and "1,000" in row
    echo = r.text.split('<tr data-model="echo/echo">')[1].split("</tr>")[0]
    assert "100.0%" in echo  # its one call in this hour failed
    assert re.findall(r'<tr data-key="([^"]+)">', r.text) == [key.id, "(no key)"]

    day = client.get("/ui/usage?range=24h")
    assert day.status_code == 200, day.text
    day_requests = {t["name"]: t for t in charts(day.text)["requests per model"]["traces"]}
    assert len(day_requests["echo/echo"]["x"]) == 24 and sum(day_requests["echo/echo"]["y"]) == 2
    assert 'aria-current="page">Last day' in day.text


def test_usage_of_one_project_and_empty_ranges(ws: Workspace, client: TestClient) -> None:
    now = now_ms()
    record(ws, [call(1, now - 1000, "echo/echo", None, 1.0, project="other")])
    empty = client.get("/ui/usage?range=7d&project=support")
    assert empty.status_code == 200, empty.text
    assert "No LLM calls in this range" in empty.text and "plotly.min.js" not in empty.text
    assert client.get("/ui/usage?range=30d&project=other").text.count('data-model="echo/echo"') == 1
    bad = client.get("/ui/usage?range=2w")
    assert bad.status_code == 400 and "1h, 24h, 7d, 30d" in bad.text


def test_a_sampled_report_says_so_and_still_counts_every_call(
    ws: Workspace, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.llm import usage as u

    monkeypatch.setattr(u, "LATENCY_SAMPLE", 5)
    now = now_ms()
    record(ws, [call(i, now - 60_000 + i, "echo/echo", None, float(i)) for i in range(40)])
    r = client.get("/ui/usage?range=1h")
    assert r.status_code == 200, r.text
    assert re.search(r"estimated from a sample of [45] of 40 calls", r.text)
    got = charts(r.text)
    assert sum(v or 0 for t in got["requests per model"]["traces"] for v in t["y"]) == 40
