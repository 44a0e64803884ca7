"""An alias served by an OpenAI wire-format upstream (``FakeOpenAI``), through the gateway, by the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from shipyard.llm.testing.openai_server import FakeOpenAI

MESSAGES: list[Any] = [{"role": "user", "content": "tell me a story"}]


@pytest.fixture
def fake(serve_app: Any) -> Iterator[tuple[FakeOpenAI, str]]:
    upstream = FakeOpenAI(api_key="sk-upstream-secret")
    with serve_app(upstream.app) as server:
        yield upstream, f"{server.url}/v1"


@pytest.fixture
def gateway(
    fake: tuple[FakeOpenAI, str],
    start_gateway: Any,
    monkeypatch: pytest.MonkeyPatch,
    sdk: Any,
) -> tuple[FakeOpenAI, Any]:
    upstream, base_url = fake
    monkeypatch.setenv("FAKE_OPENAI_KEY", "sk-upstream-secret")
    target = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "base_url": base_url,
        "api_key_env": "FAKE_OPENAI_KEY",
    }
    url = start_gateway(
        {
            "models": {
                "smart": {"targets": [target]},
                "vectors": {"targets": [{**target, "model": "text-embedding-3-small"}]},
            },
            "routing": {"retries": 0, "backoff_s": 0},
        }
    )
    return upstream, sdk(url, "sk-anything")


def test_chat_goes_upstream_with_the_target_model_and_the_upstream_key(
    gateway: tuple[FakeOpenAI, Any],
) -> None:
    upstream, client = gateway
    raw = client.chat.completions.with_raw_response.create(
        model="smart", messages=MESSAGES, temperature=0.2
    )
    answer = raw.parse()
    assert answer.model == "smart"
    assert answer.choices[0].message.content == "fake reply to: tell me a story"
    assert raw.headers["x-shipyard-target"] == "openai/gpt-4o-mini"
    sent = upstream.requests[-1]
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["temperature"] == 0.2
    assert sent.headers["authorization"] == "Bearer sk-upstream-secret"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (4, 7)  # its words


def test_stream_and_embeddings_pass_through(gateway: tuple[FakeOpenAI, Any]) -> None:
    _, client = gateway
    stream = client.chat.completions.create(
        model="smart", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "fake reply to: tell me a story"
    )
    assert chunks[-1].usage.total_tokens > 0
    vectors = client.embeddings.create(model="vectors", input=["a", "b"])
    assert len(vectors.data) == 2 and len(vectors.data[0].embedding) == 64


def test_an_upstream_failure_is_an_api_status_error(gateway: tuple[FakeOpenAI, Any]) -> None:
    upstream, client = gateway
    upstream.fail_next(1, status=500)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="smart", messages=MESSAGES)
    assert caught.value.status_code >= 500
    assert caught.value.body["type"] == "upstream_error"
    assert "sk-upstream-secret" not in caught.value.response.text


def test_an_upstream_rate_limit_is_a_rate_limit_error_with_its_retry_after(
    gateway: tuple[FakeOpenAI, Any],
) -> None:
    upstream, client = gateway
    upstream.fail_next(1, status=429, retry_after=7)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="smart", messages=MESSAGES)
    assert caught.value.body["type"] == "upstream_error"
    assert caught.value.code == "upstream_429"
    assert "retry after 7 s" in caught.value.message
    assert caught.value.response.headers["retry-after"] == "7"  # passed on to the client


def test_an_upstream_error_mid_stream_ends_the_stream_with_an_error_event(
    gateway: tuple[FakeOpenAI, Any],
) -> None:
    upstream, client = gateway
    upstream.stream_error_after = 2
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in client.chat.completions.create(model="smart", messages=MESSAGES, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert "".join(received) == "fake reply"
    assert caught.value.body["type"] == "upstream_error"


def test_an_unreachable_upstream_is_a_bad_gateway(
    start_gateway: Any, sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = {"provider": "openai", "model": "m", "base_url": f"http://127.0.0.1:{port}/v1"}
    url = start_gateway({"models": {"gone": {"targets": [target]}}, "routing": {"retries": 0}})
    with pytest.raises(openai.APIStatusError) as caught:
        sdk(url).chat.completions.create(model="gone", messages=MESSAGES)
    assert caught.value.status_code == 502
    assert caught.value.body["type"] == "upstream_error"
