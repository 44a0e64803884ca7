"""Refusals reach OpenAI clients as the SDK exceptions they already handle."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from shipyard.llm.keys import create_key, revoke_key

MESSAGES: list[Any] = [{"role": "user", "content": "hello"}]


@pytest.fixture
def keyed_url(start_gateway: Any, echo_config: dict[str, Any]) -> str:
    return start_gateway({**echo_config, "auth": {"require_key": True}})


def test_a_gateway_requiring_keys_refuses_a_missing_or_wrong_key(keyed_url: str, sdk: Any) -> None:
    for key in ("sk-not-a-virtual-key", "sk-sy-" + "x" * 32):
        with pytest.raises(openai.AuthenticationError) as caught:
            sdk(keyed_url, key).chat.completions.create(model="fast", messages=MESSAGES)
        assert caught.value.status_code == 401
        assert caught.value.code == "invalid_api_key"
        assert key not in caught.value.message  # a secret is never echoed back
    with pytest.raises(openai.AuthenticationError):
        sdk(keyed_url, "sk-x").models.list()


def test_a_valid_key_is_served_and_a_revoked_one_refused_at_once(keyed_url: str, sdk: Any) -> None:
    key, secret = create_key("support", name="bot")
    client = sdk(keyed_url, secret)
    answer = client.chat.completions.create(model="fast", messages=MESSAGES)
    assert answer.choices[0].message.content == "echo: hello"
    assert [m.id for m in client.models.list()][:2] == ["fast", "embedder"]
    revoke_key(key.id)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="fast", messages=MESSAGES)


def test_a_key_limited_to_some_models_lists_and_calls_only_those(keyed_url: str, sdk: Any) -> None:
    _, secret = create_key("support", models=["fast"])
    client = sdk(keyed_url, secret)
    assert [m.id for m in client.models.list()] == ["fast"]
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.embeddings.create(model="embedder", input="x")
    assert caught.value.status_code == 403


def test_an_open_gateway_takes_any_placeholder_key_but_checks_virtual_ones(
    gateway_url: str,
    sdk: Any,
) -> None:
    assert (
        sdk(gateway_url, "unused").chat.completions.create(model="fast", messages=MESSAGES).choices
    )
    with pytest.raises(openai.AuthenticationError):
        sdk(gateway_url, "sk-sy-" + "y" * 32).chat.completions.create(
            model="fast", messages=MESSAGES
        )


def test_over_the_request_rate_is_a_rate_limit_error_with_retry_after(
    gateway_url: str, sdk: Any
) -> None:
    _, secret = create_key("support", rpm=1)
    client = sdk(gateway_url, secret)
    client.chat.completions.create(model="fast", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="fast", messages=MESSAGES)
    error = caught.value
    assert error.status_code == 429
    assert error.body["type"] == "rate_limit_exceeded"
    assert error.code == "rate_limit"
    assert "requests/minute" in error.message
    assert 1 <= int(error.response.headers["retry-after"]) <= 60


def test_over_budget_on_a_priced_model(
    start_gateway: Any, echo_config: dict[str, Any], sdk: Any
) -> None:
    url = start_gateway({**echo_config, "prices": {"echo/fast-1": {"input": 100_000, "output": 0}}})
    _, secret = create_key("support", budget="0.5/day")
    client = sdk(url, secret)
    first = client.chat.completions.create(model="fast", messages=MESSAGES)
    assert first.model_extra["shipyard"]["cost_usd"] == pytest.approx(0.1)
    for _ in range(4):
        client.chat.completions.create(model="fast", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="fast", messages=MESSAGES)
    assert caught.value.code == "budget_exceeded"
    assert "budget" in caught.value.message
    headers = caught.value.response.headers
    assert int(headers["retry-after"]) > 60
    assert headers["x-should-retry"] == "false"  # the SDK would otherwise retry in vain
