"""Usage and cost of whole answers: the provider's usage, else counted offline; priced by table."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.llm.types import LLMRequest, LLMResponse, Usage

A = {"provider": "openai", "model": "gpt-4o-mini"}


def test_cost_comes_from_the_builtin_price_table(harness: Any, scripted: Any, config: Any) -> None:
    a = scripted(usage=Usage(1_000_000, 100_000))
    h = harness(config(A), {"openai/gpt-4o-mini": a})
    response = h.chat()
    assert response.cost_usd == pytest.approx(0.15 + 0.06)
    assert response.usage.estimated is False
    assert h.attributes["shipyard.price_known"] is True
    assert h.attributes["shipyard.usage_estimated"] is False


def test_a_config_price_overrides_the_builtin_one(harness: Any, scripted: Any, config: Any) -> None:
    a = scripted(usage=Usage(2000, 1000))
    h = harness(
        config(A, prices={"openai/gpt-4o-mini": {"input": 1.0, "output": 3.0}}),
        {"openai/gpt-4o-mini": a},
    )
    assert h.chat().cost_usd == pytest.approx((2000 * 1.0 + 1000 * 3.0) / 1e6)


def test_an_unknown_price_costs_nothing_and_says_so(
    harness: Any, scripted: Any, config: Any
) -> None:
    h = harness(config({"provider": "openai", "model": "mystery"}), {"openai/mystery": scripted()})
    assert h.chat().cost_usd == 0.0
    assert h.attributes["shipyard.price_known"] is False


def test_missing_usage_is_counted_offline_and_marked_estimated(
    harness: Any, scripted: Any, config: Any
) -> None:
    from shipyard.llm.tokens import count_messages, count_tokens

    a = scripted(answer="Hello! How can I help you today?", usage=Usage())
    h = harness(config(A), {"openai/gpt-4o-mini": a})
    response = h.chat()
    prompt, _ = count_messages("openai/gpt-4o-mini", [{"role": "user", "content": "hello there"}])
    completion, _ = count_tokens("openai/gpt-4o-mini", "Hello! How can I help you today?")
    assert response.usage == Usage(prompt, completion, estimated=True)
    assert completion > 5
    assert response.cost_usd == pytest.approx((prompt * 0.15 + completion * 0.6) / 1e6)
    assert h.attributes["shipyard.usage_estimated"] is True


def test_embedding_usage_is_counted_from_the_texts(
    harness: Any, scripted: Any, config: Any
) -> None:
    a = scripted([LLMResponse(model="e", embeddings=((1.0,), (2.0,)))])
    h = harness(config({"provider": "echo", "model": "e"}), {"echo/e": a})
    response = h.router.route(LLMRequest.embedding("fast", ["one two", "three"]))
    assert response.usage == Usage(3, 0, estimated=True)
    assert response.model == "echo/e"


def test_latency_covers_the_whole_routing(harness: Any, scripted: Any, config: Any) -> None:
    h = harness(config(A), {"openai/gpt-4o-mini": scripted()})
    response = h.chat()
    assert response.latency_ms > 0
