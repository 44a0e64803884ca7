"""W3C trace context: an app's trace and the gateway it calls over HTTP become one trace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import shipyard as sy
from shipyard.llm.config import GatewayConfig
from shipyard.llm.gateway import create_gateway_app
from shipyard.llm.path import RequestPath
from shipyard.llm.providers.base import reset_providers
from shipyard.llm.types import LLMRequest, Message
from shipyard.store.trace_records import TraceQuery
from shipyard.tracing import (
    current_span,
    flush_traces,
    no_tracing,
    parse_traceparent,
    remote_parent,
    span,
    start_span,
    traceparent,
    use_span,
)
from shipyard.workspace import current_workspace

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
ECHO = {
    "default_model": "fast",
    "models": {"fast": {"targets": [{"provider": "echo", "model": "fast-1"}]}},
    "routing": {"retries": 0, "backoff_s": 0},
}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"00-{TRACE}-{PARENT}",  # no flags
        f"00-{TRACE.upper()}-{PARENT}-01",  # upper-case hex
        f"00-{'0' * 32}-{PARENT}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero span id
        f"ff-{TRACE}-{PARENT}-01",  # forbidden version
        f"00-{TRACE}-{PARENT}-01-extra",  # version 00 has exactly four parts
        f"00-{TRACE}a-{PARENT}-01",
    ],
)
def test_invalid_headers_are_ignored(header: str | None) -> None:
    assert parse_traceparent(header) is None
    with remote_parent(header), span("root") as root:
        assert root.parent_id is None and root.trace_id != TRACE


def test_a_root_span_adopts_the_remote_parent() -> None:
    assert parse_traceparent(f" 00-{TRACE}-{PARENT}-01 ") == (TRACE, PARENT)
    assert parse_traceparent(f"01-{TRACE}-{PARENT}-00-future") == (TRACE, PARENT)
    with remote_parent(f"00-{TRACE}-{PARENT}-01"):
        with span("chat fast", kind="llm") as root:
            assert (root.trace_id, root.parent_id) == (TRACE, PARENT)
            with span("auth", kind="stage") as child:
                assert child.parent_id == root.span_id
            assert traceparent() == f"00-{TRACE}-{root.span_id}-01"
    with span("after") as after:
        assert after.trace_id != TRACE and after.parent_id is None
    assert traceparent() is None and current_span() is None
    assert flush_traces(10)
    record, spans = current_workspace().store.traces.get(TRACE)
    assert record.name == "chat fast" and [s.name for s in spans] == ["chat fast", "auth"]


def test_an_unrecorded_span_sends_no_traceparent() -> None:
    with no_tracing():
        s = start_span("off")
        with use_span(s):
            assert traceparent() is None
        s.end()


@pytest.fixture
def gateway(serve_app: Any) -> Iterator[str]:
    """A real gateway over the echo provider, recording into the test's workspace."""
    reset_providers()
    app = create_gateway_app(GatewayConfig.from_dict(ECHO), current_workspace())
    with serve_app(app) as server:
        yield str(server.url)
    app.state.gateway.close()
    reset_providers()


def test_the_openai_sdk_inside_sy_trace_makes_one_trace(gateway: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{gateway}/v1", api_key="unused", max_retries=0)
    try:
        with sy.trace("rag-answer") as rag:
            with span("retrieve"):
                pass
            answer = client.chat.completions.with_raw_response.create(
                model="fast",
                messages=[{"role": "user", "content": "hello there"}],
                extra_headers={"traceparent": traceparent() or ""},
            )
    finally:
        client.close()
    assert answer.headers["x-shipyard-trace-id"] == rag.trace_id
    assert flush_traces(10)
    record, spans = current_workspace().store.traces.get(rag.trace_id)
    by_name = {s.name: s for s in spans}
    assert by_name["chat fast"].parent_id == rag.span_id  # the gateway's llm span, under ours
    assert by_name["rag-answer"].parent_id is None
    assert record.name == "rag-answer" and record.span_count == len(spans)
    assert record.model == "fast" and record.prompt_tokens > 0
    assert record.started_at == rag.start_us // 1000
    assert len(current_workspace().store.traces.list(TraceQuery())) == 1  # not two traces


def test_the_openai_provider_sends_the_current_span_upstream(gateway: str) -> None:
    """An app's own request path whose target is the gateway (provider openai) nests it too."""
    config = GatewayConfig.from_dict(
        {
            "default_model": "via-gateway",
            "models": {
                "via-gateway": {
                    "targets": [
                        {"provider": "openai", "model": "fast", "base_url": f"{gateway}/v1"}
                    ]
                }
            },
            "routing": {"retries": 0, "backoff_s": 0},
        }
    )
    path = RequestPath(config, current_workspace())
    try:
        with sy.trace("rag-answer") as rag:
            response = path.run(
                LLMRequest(operation="chat", model="via-gateway", messages=(Message("user", "hi"),))
            )
    finally:
        path.close()
    assert not isinstance(response, Iterator)
    assert flush_traces(10)
    record, spans = current_workspace().store.traces.get(rag.trace_id)
    ours = {s.span_id: s for s in spans if s.name != "chat fast" and "fast-1" not in s.name}
    [theirs] = [s for s in spans if s.name == "chat fast"]  # the gateway's llm span
    assert theirs.parent_id in ours  # under the span that made the HTTP call
    assert {s.trace_id for s in spans} == {rag.trace_id}
    assert record.name == "rag-answer"
    assert len(current_workspace().store.traces.list(TraceQuery())) == 1
