"""The openai provider against FakeOpenAI on a real port: bodies, streaming, usage, errors."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.llm.providers.base import ProviderConfig
from shipyard.llm.providers.openai import OpenAIProvider
from shipyard.llm.testing.openai_server import FakeOpenAI
from shipyard.llm.types import LLMRequest

CHAT = LLMRequest.chat(
    "openai/gpt-4o-mini",
    [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
    params={"temperature": 0.2, "max_tokens": 50, "seed": 7, "top_k": 3},
    user="alice",
)


@pytest.fixture
def provider(fake_openai: Any) -> Iterator[OpenAIProvider]:
    p = OpenAIProvider(ProviderConfig(base_url=fake_openai.url, api_key=fake_openai.key))
    yield p
    p.close()


def test_chat_sends_openais_body_and_reads_the_answer(
    provider: OpenAIProvider, fake_openai: Any
) -> None:
    fake: FakeOpenAI = fake_openai.fake
    response = provider.call(CHAT, "gpt-4o-mini", timeout=5)
    assert response.text == "fake reply to: hello there"
    assert response.model == "openai/gpt-4o-mini" and response.provider == "openai"
    assert response.usage.prompt_tokens == 4 and response.usage.completion_tokens == 5
    assert not response.usage.estimated
    assert response.id.startswith("chatcmpl-") and response.finish_reason == "stop"
    sent = fake.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {fake_openai.key}"
    assert sent.body == {
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 50,
        "seed": 7,
        "user": "alice",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello there"},
        ],
    }  # top_k is not an OpenAI parameter: dropped


def test_reasoning_models_get_max_completion_tokens(
    provider: OpenAIProvider, fake_openai: Any
) -> None:
    fake: FakeOpenAI = fake_openai.fake
    provider.call(CHAT.with_model("openai/o3-mini"), "o3-mini", timeout=5)
    assert fake.requests[-1].body["max_completion_tokens"] == 50
    assert "max_tokens" not in fake.requests[-1].body


def test_completion_and_length_finish(provider: OpenAIProvider, fake_openai: Any) -> None:
    fake: FakeOpenAI = fake_openai.fake
    fake.reply = "one two three four"
    request = LLMRequest.completion(
        "openai/gpt-3.5-turbo-instruct", "Say:", params={"max_tokens": 2}
    )
    response = provider.call(request, "gpt-3.5-turbo-instruct", timeout=5)
    assert response.text == "one two" and response.finish_reason == "length"
    assert fake.requests[-1].path == "/v1/completions"
    assert fake.requests[-1].body["prompt"] == "Say:"


def test_embeddings_in_order_with_usage(provider: OpenAIProvider) -> None:
    request = LLMRequest.embedding("openai/text-embedding-3-small", ["a b", "c d e"])
    response = provider.call(request, "text-embedding-3-small", timeout=5)
    assert response.embeddings is not None and len(response.embeddings) == 2
    assert len(response.embeddings[0]) == 64
    assert response.usage.prompt_tokens == 5


@pytest.mark.parametrize("operation", ["chat", "completion"])
def test_stream_yields_text_then_usage_from_the_final_chunk(
    provider: OpenAIProvider, fake_openai: Any, operation: str
) -> None:
    fake: FakeOpenAI = fake_openai.fake
    fake.reply = "alpha beta gamma"
    request = (
        CHAT
        if operation == "chat"
        else LLMRequest.completion("openai/gpt-3.5-turbo-instruct", "x y")
    )
    chunks = list(provider.stream(request, "gpt-4o-mini", timeout=5))
    assert [c.text for c in chunks[:-1]] == ["alpha", " beta", " gamma"]
    last = chunks[-1]
    assert last.finish_reason == "stop"
    assert last.usage is not None and last.usage.completion_tokens == 3
    assert not last.usage.estimated
    body = fake.requests[-1].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_a_host_without_usage_gets_an_offline_estimate(
    provider: OpenAIProvider, fake_openai: Any
) -> None:
    fake: FakeOpenAI = fake_openai.fake
    fake.fail_next(
        1,
        status=200,
        body={
            "id": "x",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "hello world"},
                    "finish_reason": "stop",
                }
            ],
        },
    )
    response = provider.call(CHAT, "gpt-4o-mini", timeout=5)
    assert response.text == "hello world"
    assert response.usage.completion_tokens == 2  # cl100k: "hello", " world"
    assert response.usage.prompt_tokens > 0 and response.usage.estimated


def test_closing_a_stream_early_releases_the_connection(
    provider: OpenAIProvider, fake_openai: Any
) -> None:
    for _ in range(205):  # more than the pool's 200 connections, were responses leaked
        stream = provider.stream(CHAT, "gpt-4o-mini", timeout=2)
        stream.close()  # type: ignore[attr-defined]
    assert provider.call(CHAT, "gpt-4o-mini", timeout=5).text


@pytest.mark.parametrize(
    ("status", "retryable", "gateway_status"),
    [
        (400, False, 400),
        (404, False, 404),
        (408, True, 408),
        (429, True, 429),
        (500, True, 502),
        (503, True, 502),
    ],
)
def test_error_statuses_map_to_provider_errors(
    provider: OpenAIProvider,
    fake_openai: Any,
    status: int,
    retryable: bool,
    gateway_status: int,
) -> None:
    fake: FakeOpenAI = fake_openai.fake
    fake.fail_next(1, status=status, retry_after=7)
    with pytest.raises(ProviderError) as caught:
        provider.call(CHAT, "gpt-4o-mini", timeout=5)
    err = caught.value
    assert err.provider == "openai" and err.retryable is retryable
    assert err.upstream_status == status and err.status == gateway_status
    assert f"HTTP {status}" in err.message
    message = fake.error_body(status)["error"]["message"]
    assert message[:30] in err.message
    if status == 429:
        assert "rate_limit_exceeded" in err.message and "retry after 7 s" in err.message
        assert err.retry_after_s == 7.0
    else:
        assert err.retry_after_s is None


def test_insufficient_quota_is_a_429_not_worth_retrying(
    provider: OpenAIProvider, fake_openai: Any
) -> None:
    body = {
        "error": {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    fake_openai.fake.fail_next(1, status=429, body=body)
    with pytest.raises(ProviderError, match="exceeded your current quota") as caught:
        provider.call(CHAT, "gpt-4o-mini", timeout=5)
    assert caught.value.status == 429 and not caught.value.retryable


def test_errors_before_a_stream_raise_from_stream(
    provider: OpenAIProvider, fake_openai: Any
) -> None:
    fake: FakeOpenAI = fake_openai.fake
    fake.fail_next(1, status=429)
    with pytest.raises(ProviderError) as caught:
        provider.stream(CHAT, "gpt-4o-mini", timeout=5)
    assert caught.value.status == 429 and caught.value.retryable


def test_an_error_event_inside_a_stream_raises(provider: OpenAIProvider, fake_openai: Any) -> None:
    fake: FakeOpenAI = fake_openai.fake
    fake.reply = "a b c d"
    fake.stream_error_after = 2
    stream = provider.stream(CHAT, "gpt-4o-mini", timeout=5)
    texts = []
    with pytest.raises(ProviderError, match="server had an error") as caught:
        for chunk in stream:
            texts.append(chunk.text)
    assert texts == ["a", " b"] and caught.value.retryable


def test_a_wrong_key_is_401_and_the_key_is_never_in_the_message(
    fake_openai: Any,
) -> None:
    fake, url = fake_openai.fake, fake_openai.url
    secret = "sk-proj-WRONGwrongWRONGwrong1234"
    provider = OpenAIProvider(ProviderConfig(base_url=url, api_key=secret))
    # the real API quotes a masked key; make the fake quote it whole, to test the redaction
    fake.fail_next(
        1,
        status=401,
        body={
            "error": {
                "message": f"Incorrect API key provided: {secret}.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
    )
    for attempt in range(2):  # the scripted 401, then the fake's own key check
        with pytest.raises(ProviderError) as caught:
            provider.call(CHAT, "gpt-4o-mini", timeout=5)
        err = caught.value
        assert err.status == 401 and not err.retryable, attempt
        assert secret not in str(err) and "WRONGwrong" not in str(err)
        assert "api_key_env" in err.message
    provider.close()


def test_timeouts_are_retryable_504(provider: OpenAIProvider, fake_openai: Any) -> None:
    fake: FakeOpenAI = fake_openai.fake
    fake.hang = True
    started = time.perf_counter()
    with pytest.raises(ProviderError) as caught:
        provider.call(CHAT, "gpt-4o-mini", timeout=0.3)
    assert time.perf_counter() - started < 2
    assert caught.value.status == 504 and caught.value.retryable
    assert "did not answer in time" in caught.value.message
    with pytest.raises(ProviderError) as caught:
        provider.stream(CHAT, "gpt-4o-mini", timeout=0.3)
    assert caught.value.status == 504


def test_a_refused_connection_is_retryable_502() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = OpenAIProvider(ProviderConfig(base_url=f"http://127.0.0.1:{port}/v1", api_key="k"))
    with pytest.raises(ProviderError) as caught:
        provider.call(CHAT, "gpt-4o-mini", timeout=2)
    assert caught.value.status == 502 and caught.value.retryable
    assert "could not be reached" in caught.value.message
    provider.close()


def test_environment_supplies_base_url_and_key(
    fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url)
    monkeypatch.setenv("OPENAI_API_KEY", fake_openai.key)
    provider = OpenAIProvider()
    assert provider.call(CHAT, "gpt-4o-mini", timeout=5).text
    provider.close()


def test_api_openai_com_without_a_key_is_refused_before_any_request() -> None:
    with pytest.raises(InvalidInput, match="OPENAI_API_KEY"):
        OpenAIProvider().call(CHAT, "gpt-4o-mini", timeout=1)


def test_count_tokens_uses_the_models_encoding(provider: OpenAIProvider) -> None:
    assert provider.count_tokens("gpt-4o", "hello world") == 2
    assert provider.count_tokens("llama3:8b", "hello world") is None
