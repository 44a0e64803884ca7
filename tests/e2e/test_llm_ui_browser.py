"""The LLM gateway's pages in a real browser, over traces made by real calls.

Calls go through the real request path (trace, auth, limits, cache and route
stages) to the ``echo`` provider: a slow alias, two direct models, a virtual
key, an exact-cache hit and a call to an unknown provider that fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.llm.config import GatewayConfig
from shipyard.llm.keys import create_key
from shipyard.llm.path import RequestPath
from shipyard.llm.types import LLMRequest, Message
from shipyard.tracing import flush_traces
from shipyard.workspace import Workspace

pytestmark = pytest.mark.browser

CONFIG = {
    "models": {
        "support": {
            "targets": [{"provider": "echo", "model": "echo", "options": {"latency_s": 0.03}}]
        }
    },
    "cache": {"exact": True},
    "prices": {
        "echo/echo": {"input": 2.5, "output": 10.0},
        "echo/small": {"input": 0.15, "output": 0.6},
        "support": {"input": 2.5, "output": 10.0},
    },
}
QUESTIONS = [
    "What is the refund policy for annual plans?",
    "How do I reset my password?",
    "Can I export my data as CSV?",
]


@pytest.fixture
def calls(e2e_workspace: Workspace) -> dict[str, Any]:
    """Real calls through the request path; returns the key and what was asked."""
    ws = e2e_workspace
    key, secret = create_key(
        "support", name="support-bot", budget="5/day", rpm=60, tpm=50_000, workspace=ws
    )
    create_key("research", name="batch-jobs", workspace=ws)
    path = RequestPath(GatewayConfig.from_dict(CONFIG), ws)
    try:
        for q in QUESTIONS:
            chat = LLMRequest.chat("support", [Message("system", "Be brief."), Message("user", q)])
            path.run(chat, credential=secret)
        path.run(LLMRequest.chat("support", [Message("user", QUESTIONS[0])]), credential=secret)
        path.run(LLMRequest.chat("support", [Message("user", QUESTIONS[0])]), credential=secret)
        for q in QUESTIONS[:2]:
            path.run(LLMRequest.chat("echo/small", [Message("user", q)]))
        path.run(LLMRequest.chat("echo/echo", [Message("user", "<b>not bold</b>")]))
        with pytest.raises(InvalidInput, match="unknown provider"):
            path.run(LLMRequest.chat("nope/model", [Message("user", "hi")]))
    finally:
        path.close()
    assert flush_traces()
    return {"key": key, "secret": secret}


def test_traces_filter_trace_page_and_usage_charts(
    live_server: str, page: Any, calls: dict[str, Any], e2e_workspace: Workspace
) -> None:
    page.goto(f"{live_server}/ui/traces")
    page.wait_for_selector("table.traces-table")
    assert page.locator("tr[data-trace]").count() == 9
    assert page.locator("tr[data-status='error']").count() == 1
    assert page.locator("tr[data-trace] .badge.cache-hit").count() == 1
    page.screenshot(path="/tmp/ui-traces.png", full_page=True)

    page.get_by_label("Model").fill("support")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/ui/traces?model=support*")
    rows = page.locator("tr[data-trace]")
    assert rows.count() == 5
    for text in rows.locator("td:nth-child(3)").all_inner_texts():
        assert text.strip() == "support"
    assert "support-bot" in rows.first.inner_text()

    # the oldest support call is the first question, not a cache hit
    rows.last.locator("td.name-cell a").click()
    page.wait_for_url("**/ui/traces/*")
    page.wait_for_selector(".waterfall")
    names = page.locator(".wf-row[data-span] .wf-label").all_inner_texts()
    assert names[0].startswith("chat") and "auth" in names
    assert any(n.startswith("attempt") for n in names)
    depths = page.locator(".wf-row[data-span]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.depth))"
    )
    assert depths[0] == 0 and all(d >= 1 for d in depths[1:])
    # each bar is as wide, relative to the track, as its span is long relative to the trace
    trace_id = page.url.rsplit("/", 1)[1]
    _, spans = e2e_workspace.store.traces.get(trace_id)
    t0 = min(s.start_us for s in spans)
    total = max(s.start_us + s.duration_ms * 1000 for s in spans) - t0
    attempt = next(s for s in spans if s.kind == "attempt")
    assert attempt.duration_ms >= 30  # the alias's upstream sleeps 30 ms
    bar = page.locator(f".wf-row[data-span='{attempt.span_id}'] .wf-bar").bounding_box()
    track = page.locator(f".wf-row[data-span='{attempt.span_id}'] .wf-track").bounding_box()
    assert bar["width"] / track["width"] == pytest.approx(
        attempt.duration_ms * 1000 / total, abs=0.02
    )
    assert (bar["x"] - track["x"]) / track["width"] == pytest.approx(
        (attempt.start_us - t0) / total, abs=0.02
    )
    user = page.locator(".bubble[data-role='user']").first
    assert user.inner_text().endswith(QUESTIONS[0])
    assert "echo:" in page.locator(".bubble[data-role='assistant']").first.inner_text()
    assert page.locator("table.attrs code", has_text="gen_ai.usage.input_tokens").count() >= 1
    page.screenshot(path="/tmp/ui-trace.png", full_page=True)

    page.goto(f"{live_server}/ui/traces?model=echo/echo")
    page.locator("tr[data-trace] td.name-cell a").first.click()
    page.wait_for_selector(".bubble[data-role='user']")
    # the prompt is text, never markup
    assert page.locator(".bubble[data-role='user'] .bubble-text").inner_text() == "<b>not bold</b>"
    assert page.locator(".bubble b").count() == 0

    page.get_by_role("link", name="Usage").first.click()
    page.wait_for_url("**/ui/usage")
    page.get_by_role("link", name="Last hour").click()
    page.wait_for_url("**/ui/usage?range=1h")
    # tokens, cost, requests, latency, errors per model; cost, tokens, latency per key
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 8")
    assert page.locator(".js-plotly-plot .scatterlayer path.js-line").count() >= 8
    requests = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".find(p => p.layout.yaxis.title.text === 'requests per model').data"
        ".map(t => [t.name, t.y.reduce((a, b) => a + b, 0)])"
    )
    assert dict(requests) == {"support": 5, "echo/small": 2, "echo/echo": 1, "nope/model": 1}
    assert page.locator("tr[data-model]").count() == 4
    assert page.locator(f"tr[data-key='{calls['key'].id}']").count() == 1
    page.screenshot(path="/tmp/ui-usage.png", full_page=True)

    page.get_by_role("link", name="Keys").click()
    page.wait_for_selector("table.keys-table")
    assert page.locator("tr[data-key][data-status='active']").count() == 2
    assert calls["secret"] not in page.content()
    page.screenshot(path="/tmp/ui-keys.png", full_page=True)
