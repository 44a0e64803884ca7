"""The route stage in the request path: real providers, real spans in the trace store.

The logic of routing is tested in tests/llm/routing with a scripted provider;
here the stage runs as the gateway runs it: built by ``RequestPath`` from a
config, behind the trace stage, against the ``echo`` provider and real HTTP
upstreams.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shipyard.core.errors import ProviderError
from shipyard.llm.config import GatewayConfig
from shipyard.llm.path import RequestPath
from shipyard.llm.routing import reset_breakers
from shipyard.llm.stages.route import RouteStage
from shipyard.llm.types import LLMRequest, LLMResponse, ResponseStream
from shipyard.tracing import flush_traces
from shipyard.workspace import current_workspace


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    """The process's breakers would carry one test's failures into the next."""
    reset_breakers()
    yield
    reset_breakers()


def path(models: dict[str, Any], **routing: Any) -> RequestPath:
    config = GatewayConfig.from_dict(
        {"models": models, "routing": {"backoff_s": 0.0, **routing}, "stages": ["trace", "route"]}
    )
    return RequestPath(config)


def spans_of(trace_id: str | None) -> list[Any]:
    assert trace_id is not None
    assert flush_traces(10)
    _, spans = current_workspace().store.traces.get(trace_id)
    return spans


def chat(model: str = "fast", **kw: Any) -> LLMRequest:
    return LLMRequest.chat(model, [{"role": "user", "content": "ping pong"}], **kw)


def test_the_stage_is_built_from_the_config_and_answers_from_the_route() -> None:
    p = path({"fast": {"targets": [{"provider": "echo", "model": "e1"}]}})
    assert isinstance(p.stage("route"), RouteStage)
    response = p.run(chat())
    assert isinstance(response, LLMResponse)
    assert response.text == "echo: ping pong"
    assert response.model == "echo/e1" and response.provider == "echo"
    assert response.attempts == 1
    assert response.usage.prompt_tokens == 2 and not response.usage.estimated
    assert response.cost_usd == 0.0


def test_attempts_are_spans_under_the_call_span_with_the_routing_outcome() -> None:
    p = path(
        {
            "fast": {
                "targets": [
                    {
                        "provider": "openai",
                        "model": "gone",
                        "base_url": "http://127.0.0.1:9/v1",
                        "weight": 1,
                        "timeout_s": 2,
                    },
                    {"provider": "echo", "model": "e2", "weight": 0},
                ]
            }
        },
        retries=1,
    )
    response = p.run(chat())
    assert isinstance(response, LLMResponse)
    assert response.model == "echo/e2" and response.attempts == 3
    spans = spans_of(response.trace_id)
    llm = next(s for s in spans if s.kind == "llm")
    attempts = sorted((s for s in spans if s.kind == "attempt"), key=lambda s: s.start_us)
    assert [s.name for s in attempts] == [
        "attempt 1 openai/gone",
        "attempt 2 openai/gone",
        "attempt 3 echo/e2",
    ]
    assert all(s.parent_id == llm.span_id for s in attempts)
    refused = attempts[0].attributes
    assert refused["shipyard.target"] == "openai/gone"
    assert refused["shipyard.attempt"] == 1
    assert refused["gen_ai.provider.name"] == "openai"
    assert refused["gen_ai.request.model"] == "gone"
    assert refused["server.address"] == "127.0.0.1" and refused["server.port"] == 9
    assert refused["shipyard.status"] == "error"
    assert attempts[0].status == "error" and "could not be reached" in (attempts[0].error or "")
    assert attempts[2].attributes["shipyard.status"] == "ok"
    assert attempts[2].status == "ok"
    assert llm.attributes["shipyard.target"] == "echo/e2"
    assert llm.attributes["shipyard.attempts"] == 3
    assert llm.attributes["shipyard.fallback"] is True
    assert llm.attributes["shipyard.price_known"] is True


def test_a_failed_call_still_says_how_many_attempts_it_made() -> None:
    p = path(
        {
            "fast": {
                "targets": [
                    {"provider": "openai", "model": "gone", "base_url": "http://127.0.0.1:9/v1"}
                ]
            }
        },
        retries=2,
    )
    with pytest.raises(ProviderError, match="could not be reached") as info:
        p.run(chat())
    assert info.value.retryable
    assert flush_traces(10)
    (trace,) = current_workspace().store.traces.list(_query())
    spans = spans_of(trace.trace_id)
    llm = next(s for s in spans if s.kind == "llm")
    assert llm.status == "error"
    assert llm.attributes["shipyard.attempts"] == 3
    assert len([s for s in spans if s.kind == "attempt"]) == 3


def test_a_stream_through_the_path_names_its_target_and_settles_usage() -> None:
    p = path({"fast": {"targets": [{"provider": "echo", "model": "e3"}]}})
    stream = p.run(chat(stream=True))
    assert isinstance(stream, ResponseStream)
    assert "".join(c.text for c in stream) == "echo: ping pong"
    assert stream.response is not None
    assert stream.response.model == "echo/e3"
    assert stream.response.usage.completion_tokens == 3
    spans = spans_of(stream.trace_id)
    (attempt,) = [s for s in spans if s.kind == "attempt"]
    assert "shipyard.ttft_ms" in attempt.attributes


def test_breaker_states_are_visible_from_the_stage() -> None:
    p = path(
        {
            "fast": {
                "targets": [
                    {"provider": "openai", "model": "gone", "base_url": "http://127.0.0.1:9/v1"}
                ]
            }
        },
        retries=0,
        breaker_failures=1,
    )
    with pytest.raises(ProviderError):
        p.run(chat())
    stage = p.stage("route")
    assert isinstance(stage, RouteStage)
    states = stage.breaker_states()
    assert states["openai/gone@http://127.0.0.1:9/v1"].state == "open"


def _query() -> Any:
    from shipyard.store.trace_records import TraceQuery

    return TraceQuery()
