"""The anthropic provider against FakeAnthropic on a real port: Messages API, events, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.llm.providers.anthropic import AnthropicProvider
from shipyard.llm.providers.base import ProviderConfig
from shipyard.llm.testing.anthropic_server import FakeAnthropic
from shipyard.llm.types import LLMRequest

CHAT = LLMRequest.chat(
    "anthropic/claude-haiku-4-5",
    [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "how are you"},
    ],
    params={"temperature": 0.5, "stop": "END", "seed": 3},
)


@pytest.fixture
def provider(fake_anthropic: Any) -> Iterator[AnthropicProvider]:
    p = AnthropicProvider(ProviderConfig(base_url=fake_anthropic.url, api_key=fake_anthropic.key))
    yield p
    p.close()


def test_chat_moves_system_to_the_top_and_sends_the_required_headers(
    provider: AnthropicProvider, fake_anthropic: Any
) -> None:
    fake: FakeAnthropic = fake_anthropic.fake
    response = provider.call(CHAT, "claude-haiku-4-5", timeout=5)
    assert response.text == "fake reply to: how are you"
    assert response.model == "anthropic/claude-haiku-4-5" and response.finish_reason == "stop"
    assert response.usage.prompt_tokens == 8 and response.usage.completion_tokens == 6
    assert response.id.startswith("msg_")
    sent = fake.requests[-1]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == fake_anthropic.key
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body == {
        "model": "claude-haiku-4-5",
        "max_tokens": 1024,
        "messages": [
            {"role": "user", "content": "hello there"},
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": "how are you"},
        ],
        "system": "be brief",
        "temperature": 0.5,
        "stop_sequences": ["END"],
    }


def test_completion_is_one_user_message_and_max_tokens_is_honoured(
    provider: AnthropicProvider, fake_anthropic: Any
) -> None:
    fake: FakeAnthropic = fake_anthropic.fake
    fake.reply = "a b c d"
    request = LLMRequest.completion(
        "anthropic/claude-haiku-4-5", "Q: x\nA:", params={"max_tokens": 2}
    )
    response = provider.call(request, "claude-haiku-4-5", timeout=5)
    assert response.text == "a b" and response.finish_reason == "length"
    assert fake.requests[-1].body["messages"] == [{"role": "user", "content": "Q: x\nA:"}]
    assert fake.requests[-1].body["max_tokens"] == 2


def test_stream_reads_the_documented_events(
    provider: AnthropicProvider, fake_anthropic: Any
) -> None:
    fake: FakeAnthropic = fake_anthropic.fake
    fake.reply = "one two three"
    chunks = list(provider.stream(CHAT, "claude-haiku-4-5", timeout=5))
    assert [c.text for c in chunks[:-1]] == ["one", " two", " three"]
    last = chunks[-1]
    assert last.finish_reason == "stop"
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (8, 3)
    assert fake.requests[-1].body["stream"] is True


def test_an_error_event_mid_stream_is_a_retryable_provider_error(
    provider: AnthropicProvider, fake_anthropic: Any
) -> None:
    fake: FakeAnthropic = fake_anthropic.fake
    fake.reply = "one two three"
    fake.stream_error_after = 1
    texts = []
    with pytest.raises(ProviderError, match="Overloaded") as caught:
        for chunk in provider.stream(CHAT, "claude-haiku-4-5", timeout=5):
            texts.append(chunk.text)
    assert texts == ["one"] and caught.value.retryable


@pytest.mark.parametrize(
    ("status", "kind", "retryable", "gateway_status"),
    [
        (400, "invalid_request_error", False, 400),
        (403, "permission_error", False, 403),
        (429, "rate_limit_error", True, 429),
        (500, "api_error", True, 502),
        (529, "overloaded_error", True, 502),
    ],
)
def test_error_bodies_map_to_provider_errors(
    provider: AnthropicProvider,
    fake_anthropic: Any,
    status: int,
    kind: str,
    retryable: bool,
    gateway_status: int,
) -> None:
    fake_anthropic.fake.fail_next(1, status=status, retry_after=2)
    with pytest.raises(ProviderError) as caught:
        provider.call(CHAT, "claude-haiku-4-5", timeout=5)
    err = caught.value
    assert err.provider == "anthropic" and kind in err.message
    assert err.retryable is retryable and err.status == gateway_status
    assert err.upstream_status == status
    assert err.retry_after_s == (2.0 if status == 429 else None)


def test_rate_limit_answer_carries_anthropics_headers(fake_anthropic: Any) -> None:
    import httpx

    fake_anthropic.fake.fail_next(1, status=429, retry_after=4)
    r = httpx.post(
        f"{fake_anthropic.url}/v1/messages",
        headers={"x-api-key": fake_anthropic.key, "anthropic-version": "2023-06-01"},
        json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    )
    assert r.status_code == 429 and r.headers["retry-after"] == "4"
    assert r.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "rate_limit_error"


def test_the_fake_rejects_what_the_real_api_rejects(fake_anthropic: Any) -> None:
    import httpx

    url = f"{fake_anthropic.url}/v1/messages"
    good = {"x-api-key": fake_anthropic.key, "anthropic-version": "2023-06-01"}
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "x"}]
    r = httpx.post(url, headers=good, json={"model": "m", "max_tokens": 5, "messages": msgs})
    assert r.status_code == 400 and "top-level `system`" in r.json()["error"]["message"]
    r = httpx.post(url, headers=good, json={"model": "m", "messages": msgs[1:]})
    assert r.status_code == 400 and "max_tokens" in r.json()["error"]["message"]
    r = httpx.post(url, headers={"x-api-key": fake_anthropic.key}, json={})
    assert r.status_code == 400 and "anthropic-version" in r.json()["error"]["message"]
    r = httpx.get(f"{fake_anthropic.url}/v1/models", headers=good)
    assert r.json()["data"][0]["type"] == "model"


def test_a_wrong_key_is_401_without_the_key(fake_anthropic: Any) -> None:
    secret = "sk-ant-api03-NOTtheRIGHTkey987"
    provider = AnthropicProvider(ProviderConfig(base_url=fake_anthropic.url, api_key=secret))
    with pytest.raises(ProviderError) as caught:
        provider.call(CHAT, "claude-haiku-4-5", timeout=5)
    assert caught.value.status == 401 and not caught.value.retryable
    assert "authentication_error" in caught.value.message and secret not in str(caught.value)
    provider.close()


def test_timeout_is_retryable_504(provider: AnthropicProvider, fake_anthropic: Any) -> None:
    fake_anthropic.fake.hang = True
    started = time.perf_counter()
    with pytest.raises(ProviderError) as caught:
        provider.stream(CHAT, "claude-haiku-4-5", timeout=0.3)
    assert time.perf_counter() - started < 2
    assert caught.value.status == 504 and caught.value.retryable


def test_embeddings_are_refused_with_a_provider_that_can(provider: AnthropicProvider) -> None:
    assert "embedding" not in provider.capabilities
    with pytest.raises(InvalidInput, match="local/all-minilm-l6-v2"):
        provider.call(LLMRequest.embedding("anthropic/x", ["a"]), "x", timeout=1)


def test_environment_supplies_base_url_and_key(
    fake_anthropic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake_anthropic.key)
    provider = AnthropicProvider()
    assert provider.call(CHAT, "claude-haiku-4-5", timeout=5).text
    assert provider.count_tokens("claude-haiku-4-5", "x") is None
    provider.close()
