"""The traces list (filters, pages) and a trace's page (waterfall, attributes, messages)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from shipyard.core.clock import now_ms
from shipyard.llm.keys import create_key
from shipyard.server.app import create_app
from shipyard.server.pages.traces import parse_messages, waterfall
from shipyard.store.trace_records import LLMCallRecord, SpanRecord, TraceRecord
from shipyard.workspace import Workspace, current_workspace

EVIL = "<script>alert('x')</script>"


@pytest.fixture
def ws() -> Workspace:
    return current_workspace()


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws))


def record_call(
    ws: Workspace,
    trace_id: str,
    *,
    at: int,
    model: str = "openai/gpt-4o-mini",
    key_id: str | None = None,
    status: str = "ok",
    latency: float = 40.0,
    cost: float = 0.0002,
    cache: str | None = None,
    question: str = "What is 2 + 2?",
) -> None:
    """One chat call as the request path records it: llm span, stages, two attempts."""
    us = at * 1000
    llm_attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3,
        "gen_ai.input.messages": json.dumps(
            [
                {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                {"role": "user", "parts": [{"type": "text", "content": question}]},
            ]
        ),
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "4"}],
                    "finish_reason": "stop",
                }
            ]
        ),
        "shipyard.cost_usd": cost,
        "shipyard.target": model,
        "shipyard.attempts": 2,
        "http.note": "other attribute",
    }
    if cache:
        llm_attrs["shipyard.cache"] = cache
    if key_id:
        llm_attrs["shipyard.key_id"] = key_id
    error = "upstream said 500" if status != "ok" else None
    spans = [
        SpanRecord(trace_id, f"{trace_id}-llm", None, "chat", "llm", us, latency, status, error, llm_attrs),
        SpanRecord(trace_id, f"{trace_id}-auth", f"{trace_id}-llm", "auth", "stage", us + 100, 0.3),
        SpanRecord(trace_id, f"{trace_id}-a1", f"{trace_id}-llm", "attempt 1", "attempt", us + 1_000, 10.0,
                   "error", "HTTP 503 from upstream", {"shipyard.attempt": 1, "error.type": "ProviderError"}),
        SpanRecord(trace_id, f"{trace_id}-a2", f"{trace_id}-llm", "attempt 2", "attempt", us + 20_000, 20.0,
                   "ok", None, {"shipyard.attempt": 2},
                   [{"name": "retry", "time_us": us + 25_000, "attributes": {"backoff_s": 0.01}}]),
    ]  # fmt: skip
    trace = TraceRecord(
        trace_id=trace_id,
        name="chat",
        started_at=at,
        duration_ms=latency,
        status=status,
        error=error,
        model=model,
        key_id=key_id,
        project="support" if key_id else None,
        prompt_tokens=12,
        completion_tokens=3,
        cost_usd=cost,
        cache_hit=cache is not None,
        span_count=len(spans),
    )
    call = LLMCallRecord(
        trace_id=trace_id,
        span_id=f"{trace_id}-llm",
        started_at=at,
        operation="chat",
        model=model,
        status=status,
        latency_ms=latency,
        key_id=key_id,
        project=trace.project,
        prompt_tokens=12,
        completion_tokens=3,
        cost_usd=cost,
        cache=cache,
    )
    ws.store.traces.record([trace], spans, [call])


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-trace="([^"]+)"', html)


def test_traces_list_newest_first_with_every_column(ws: Workspace, client: TestClient) -> None:
    key, secret = create_key("support", name="support-bot", workspace=ws)
    now = now_ms()
    record_call(ws, "t-old", at=now - 60_000)
    record_call(ws, "t-new", at=now - 1_000, key_id=key.id, cost=0.0125, cache="exact")
    r = client.get("/ui/traces")
    assert r.status_code == 200, r.text
    assert listed(r.text) == ["t-new", "t-old"]
    row = r.text[r.text.index('data-trace="t-new"') :].split("</tr>")[0]
    assert '<a href="/ui/traces/t-new">chat</a>' in row
    assert "openai/gpt-4o-mini" in row and "support-bot" in row and "support" in row
    assert "$0.0125" in row and ">hit<" in row and "40.0 ms" in row
    assert secret not in r.text and secret[10:] not in r.text
    assert '<a href="/ui/traces"' in r.text and "LLM" in r.text  # in the sidebar


def test_traces_filters_from_the_query_string(ws: Workspace, client: TestClient) -> None:
    key, _ = create_key("support", name="support-bot", workspace=ws)
    now = now_ms()
    record_call(ws, "t-mini", at=now - 5_000, latency=30.0)
    record_call(ws, "t-claude", at=now - 4_000, model="anthropic/claude-3-5-haiku", latency=900.0)
    record_call(ws, "t-key", at=now - 3_000, key_id=key.id, cost=0.5)
    record_call(ws, "t-err", at=now - 2_000, status="error", latency=5.0)
    record_call(ws, "t-hit", at=now - 1_000, cache="semantic", cost=0.0)

    def ids(query: str) -> set[str]:
        r = client.get(f"/ui/traces?{query}")
        assert r.status_code == 200, r.text
        return set(listed(r.text))

    assert ids("model=anthropic/claude-3-5-haiku") == {"t-claude"}
    assert ids("key=support-bot") == {"t-key"}  # by name
    assert ids(f"key={key.id}") == {"t-key"}  # by id
    assert ids("project=support") == {"t-key"}
    assert ids("status=error") == {"t-err"}
    assert ids("min_ms=500") == {"t-claude"}
    assert ids("max_ms=10") == {"t-err"}
    assert ids("min_cost=0.1") == {"t-key"}
    assert ids("cache=hit") == {"t-hit"}
    assert "t-hit" not in ids("cache=miss")
    # an empty form field is no filter
    assert len(ids("model=&key=&min_ms=&cache=")) == 5

    bad = client.get("/ui/traces?min_ms=fast")
    assert bad.status_code == 400
    assert "min latency (ms) must be a number" in bad.text


def test_traces_are_paged(ws: Workspace, client: TestClient) -> None:
    now = now_ms()
    for i in range(7):
        record_call(ws, f"t{i}", at=now - 10_000 + i)
    first = client.get("/ui/traces?limit=3&model=openai/gpt-4o-mini")
    assert listed(first.text) == ["t6", "t5", "t4"]
    older = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert older is not None
    url = older.group(1).replace("&amp;", "&")
    assert "model=openai%2Fgpt-4o-mini" in url and "offset=3" in url
    second = client.get(url)
    assert listed(second.text) == ["t3", "t2", "t1"]
    last = client.get("/ui/traces?limit=3&offset=6")
    assert listed(last.text) == ["t0"]
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text


def test_trace_page_draws_the_span_tree_and_the_conversation(
    ws: Workspace, client: TestClient
) -> None:
    record_call(ws, "t1", at=now_ms(), question=EVIL)
    r = client.get("/ui/traces/t1")
    assert r.status_code == 200, r.text
    html = r.text
    order = re.findall(
        r'<a class="wf-row[^"]*" role="row" href="#span-[^"]+" data-span="([^"]+)" data-depth="(\d)"',
        html,
    )
    assert order == [("t1-llm", "0"), ("t1-auth", "1"), ("t1-a1", "1"), ("t1-a2", "1")]
    # attempt 2 starts 20 ms into a 40 ms trace and lasts 20 ms: the right half
    assert re.search(r'data-span="t1-a2".*?style="left: 50.0%; width: 50.0%"', html, re.S)
    assert "wf-error" in html.split('data-span="t1-a1"')[0].rsplit("<a ", 1)[1]
    # attributes: gen_ai.* first, then shipyard.*, then the rest; messages apart
    card = html[html.index('id="span-t1-llm"') :].split("</section>")[0]
    keys = re.findall(r'<th scope="row" class="key"><code>([^<]+)</code>', card)
    assert keys[0].startswith("gen_ai.") and keys[-1] == "http.note"
    assert keys.index("shipyard.cost_usd") > keys.index("gen_ai.usage.output_tokens")
    assert "gen_ai.input.messages" not in keys
    # the prompt and the answer as bubbles, escaped
    assert 'data-role="system"' in card and 'data-role="assistant"' in card
    assert EVIL not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in card
    assert "stop" in card  # finish reason
    assert "HTTP 503 from upstream" in html
    assert re.search(
        r"<code>retry</code> <span[^>]*>at \+25.0 ms</span> <span class=\"chip\"><code>backoff_s=0.01</code>",
        html,
    )
    assert "12 / 3" in html  # tokens in / out


def test_unknown_trace_is_a_404_page(client: TestClient) -> None:
    r = client.get("/ui/traces/nope")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]


def test_messages_in_either_shape() -> None:
    otel = parse_messages('[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]')
    assert otel is not None and (otel[0].role, otel[0].text) == ("user", "hi")
    plain = parse_messages([{"role": "assistant", "content": "yo"}])
    assert plain is not None and plain[0].text == "yo"
    tool = parse_messages([{"role": "assistant", "parts": [{"type": "tool_call", "name": "f"}]}])
    assert tool is not None and '"tool_call"' in tool[0].extra[0]
    assert parse_messages("not json") is None
    assert parse_messages("42") is None


def test_waterfall_of_one_instant_span_still_draws_a_bar() -> None:
    trace = TraceRecord(trace_id="t", name="x", started_at=0, duration_ms=0.0)
    rows, total = waterfall(trace, [SpanRecord("t", "s", None, "x", "internal", 5, 0.0)])
    assert total > 0 and rows[0].width_pct > 0 and rows[0].left_pct == 0
