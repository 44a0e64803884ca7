"""The route stage in the request path: real providers, real spans in the trace store.

The logic of routing is tested in tests/llm/routing with a scripted provider;
here the stage runs as the gateway runs it: built by ``RequestPath`` from a
config, behind the trace stage, against the ``echo`` provider and real HTTP
upstreams.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from shipyard.core.errors import ProviderError
from shipyard.llm.config import GatewayConfig
from shipyard.llm.path import RequestPath
from shipyard.llm.routing import Breakers, reset_breakers
from shipyard.llm.stages.base import Call
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


PASSWORD, TOKEN = "pw-s3cr3t-77", "tok-s3cr3t-88"
CREDENTIALED_URL = f"http://admin:{PASSWORD}@127.0.0.1:9/v1?api_token={TOKEN}"


def test_credentials_in_a_base_url_reach_no_error_span_or_breaker_state() -> None:
    """``http://user:tok@host`` used to appear verbatim in 502s, logs, traces and breaker states."""
    from shipyard.llm.routing import breaker_states

    target = {"provider": "openai", "model": "gone", "base_url": CREDENTIALED_URL}
    p = path({"fast": {"targets": [target]}}, retries=0)
    with pytest.raises(ProviderError, match="could not be reached") as info:
        p.run(chat())
    assert "http://127.0.0.1:9/v1?api_token=***" in info.value.message
    assert flush_traces(10)
    (trace,) = current_workspace().store.traces.list(_query())
    spans = spans_of(trace.trace_id)
    attempt = next(s for s in spans if s.kind == "attempt")
    assert attempt.attributes["server.address"] == "127.0.0.1"
    states = breaker_states()
    assert [b.base_url for b in states.values()] == ["http://127.0.0.1:9/v1?api_token=***"]
    shown = [str(info.value), repr([s.to_dict() for s in spans]), repr(states)]
    shown.append(repr({k: b.to_dict() for k, b in states.items()}))
    for text in shown:
        assert PASSWORD not in text and TOKEN not in text and "admin" not in text


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


# -- against real HTTP upstreams speaking OpenAI's wire format ------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Upstreams:
    """Two fake OpenAI servers and a route stage over them, with recorded sleeps and a fake clock."""

    def __init__(self, serve_app: Any, **routing: Any) -> None:
        from shipyard.llm.testing.openai_server import FakeOpenAI

        self.first, self.second = FakeOpenAI(), FakeOpenAI()
        self._servers = [serve_app(self.first.app), serve_app(self.second.app)]
        self.routing = {"retries": 2, "backoff_s": 0.1, "backoff_max_s": 2.0, **routing}
        self.clock = Clock()
        self.sleeps: list[float] = []

    def __enter__(self) -> Upstreams:
        s1, s2 = (s.__enter__() for s in self._servers)
        self.config = GatewayConfig.from_dict(
            {
                "models": {
                    "fast": {
                        "targets": [
                            {
                                "provider": "openai",
                                "model": "gpt-4o",
                                "base_url": f"{s1.url}/v1",
                                "weight": 1,
                            },
                            {
                                "provider": "openai",
                                "model": "gpt-4o-mini",
                                "base_url": f"{s2.url}/v1",
                                "weight": 0,
                            },
                        ]
                    }
                },
                "routing": self.routing,
                "prices": {"openai/gpt-4o-mini": {"input": 1.0, "output": 2.0}},
            }
        )
        self.stage = RouteStage(
            self.config,
            current_workspace(),
            breakers=Breakers(clock=self.clock),
            rng=random.Random(1),
            sleep=self.sleeps.append,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.first.release()
        self.second.release()
        for server in reversed(self._servers):
            server.__exit__(*exc)

    def run(self, **kw: Any) -> tuple[Any, dict[str, Any]]:
        call = Call(request=chat(**kw))
        outcome = self.stage.handle(call, _no_next)
        return outcome, call.attributes


def _no_next(call: Call) -> Any:
    raise AssertionError("the route stage must not call next")


def test_http_retries_429_and_500_then_answers(serve_app: Any) -> None:
    with Upstreams(serve_app) as up:
        up.first.fail_next(1, status=429, retry_after=0.25)
        up.first.fail_next(1, status=500)
        response, attrs = up.run()
        assert response.model == "openai/gpt-4o" and response.attempts == 3
        assert response.text == "fake reply to: ping pong"
        assert up.first.calls == 3 and up.second.calls == 0
        assert up.sleeps[0] == 0.25  # the upstream's Retry-After
        assert 0.1 <= up.sleeps[1] <= 0.2  # second backoff: equal jitter under 0.2 s
        assert attrs["shipyard.fallback"] is False
        assert all(r.body["model"] == "gpt-4o" for r in up.first.requests)


def test_http_falls_back_to_the_second_target_which_names_itself(serve_app: Any) -> None:
    with Upstreams(serve_app) as up:
        up.first.fail_next(3, status=503)
        response, attrs = up.run()
        assert response.model == "openai/gpt-4o-mini"
        assert response.attempts == 4
        assert up.first.calls == 3 and up.second.calls == 1
        assert attrs["shipyard.fallback"] is True
        assert attrs["shipyard.target"] == "openai/gpt-4o-mini"
        # cost from the config's price table: 2 prompt words, 5 answer words
        assert response.usage.prompt_tokens == 2 and response.usage.completion_tokens == 5
        assert response.cost_usd == pytest.approx((2 * 1.0 + 5 * 2.0) / 1e6)
        assert attrs["shipyard.price_known"] is True


def test_http_a_hanging_target_times_out_and_falls_back(serve_app: Any) -> None:
    with Upstreams(serve_app, retries=0) as up:
        targets = up.config.models["fast"].targets
        assert targets[0].timeout_s is None
        up.stage = RouteStage(
            GatewayConfig(
                models={
                    "fast": replace(
                        up.config.models["fast"],
                        targets=(replace(targets[0], timeout_s=0.3), targets[1]),
                    )
                },
                routing=up.config.routing,
            ),
            current_workspace(),
            breakers=Breakers(clock=up.clock),
            sleep=up.sleeps.append,
        )
        up.first.hang = True
        started = time.monotonic()
        response, _ = up.run()
        assert time.monotonic() - started < 5
        assert response.model == "openai/gpt-4o-mini"
        assert up.first.calls == 1


def test_http_a_bad_request_is_returned_without_retry_or_fallback(serve_app: Any) -> None:
    with Upstreams(serve_app) as up:
        up.first.fail_next(1, status=400)
        with pytest.raises(ProviderError) as info:
            up.run()
        assert info.value.status == 400 and info.value.upstream_status == 400
        assert up.first.calls == 1 and up.second.calls == 0


def test_http_a_wrong_key_at_one_target_falls_back_without_retry(serve_app: Any) -> None:
    with Upstreams(serve_app) as up:
        up.first.fail_next(1, status=401)
        response, _ = up.run()
        assert response.model == "openai/gpt-4o-mini"
        assert up.first.calls == 1 and up.sleeps == []


def test_http_the_circuit_opens_then_a_probe_closes_it(serve_app: Any) -> None:
    with Upstreams(serve_app, retries=1, breaker_failures=2, breaker_cooldown_s=30) as up:
        up.first.fail_next(2, status=503)
        assert up.run()[0].model == "openai/gpt-4o-mini"
        assert up.first.calls == 2
        key = next(k for k in up.stage.breaker_states() if k.startswith("openai/gpt-4o@"))
        assert up.stage.breaker_states()[key].state == "open"

        for _ in range(3):  # while open, the first target is not called at all
            response, attrs = up.run()
            assert response.model == "openai/gpt-4o-mini" and response.attempts == 1
            assert attrs["shipyard.fallback"] is False  # an open target is never picked first
        assert up.first.calls == 2

        up.clock.now += 30  # half-open: one probe goes to the first target, and succeeds
        response, _ = up.run()
        assert response.model == "openai/gpt-4o" and up.first.calls == 3
        assert up.stage.breaker_states()[key].state == "closed"


def test_http_a_stream_is_retried_before_its_first_chunk(serve_app: Any) -> None:
    with Upstreams(serve_app) as up:
        up.first.fail_next(1, status=500)
        stream, _ = up.run(stream=True)
        assert isinstance(stream, ResponseStream)
        assert stream.attempts == 2 and stream.model == "openai/gpt-4o"
        assert "".join(c.text for c in stream) == "fake reply to: ping pong"
        assert stream.response is not None
        assert stream.response.usage.completion_tokens == 5
        assert up.first.calls == 2


def test_http_a_stream_that_breaks_after_its_first_chunk_fails_for_the_reader(
    serve_app: Any,
) -> None:
    with Upstreams(serve_app) as up:
        up.first.stream_error_after = 2
        stream, _ = up.run(stream=True)
        got: list[str] = []
        with pytest.raises(ProviderError):
            for chunk in stream:
                got.append(chunk.text)
        assert "".join(got).startswith("fake reply")
        assert up.second.calls == 0 and up.first.calls == 1


def _query() -> Any:
    from shipyard.store.trace_records import TraceQuery

    return TraceQuery()
