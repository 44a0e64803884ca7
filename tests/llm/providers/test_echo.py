"""The echo provider: deterministic answers, word streaming, embeddings that share words agree."""

from __future__ import annotations

import math
import time

from shipyard.llm.providers.base import ProviderConfig, get_provider
from shipyard.llm.providers.echo import EchoProvider, hashed_embedding
from shipyard.llm.types import LLMRequest


def dot(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_chat_echoes_the_last_user_message_with_usage() -> None:
    provider = EchoProvider()
    request = LLMRequest.chat(
        "echo/test",
        [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "hello there"},
        ],
    )
    response = provider.call(request, "test", timeout=1)
    assert response.text == "echo: hello there"
    assert response.model == "echo/test" and response.provider == "echo"
    assert response.usage.prompt_tokens == 6  # be brief first ok hello there
    assert response.usage.completion_tokens == 3
    assert not response.usage.estimated


def test_completion_echoes_the_prompts_last_line() -> None:
    response = EchoProvider().call(
        LLMRequest.completion("echo/x", "Q: a?\nA: b\nQ: what now"), "x", timeout=1
    )
    assert response.text == "Q: what now"
    assert response.finish_reason == "stop"


def test_stream_yields_words_then_finish_and_usage() -> None:
    chunks = list(
        EchoProvider().stream(
            LLMRequest.chat("echo/x", [{"role": "user", "content": "one two three"}]),
            "x",
            timeout=1,
        )
    )
    assert [c.text for c in chunks[:-1]] == ["echo:", " one", " two", " three"]
    assert "".join(c.text for c in chunks) == "echo: one two three"
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


def test_max_tokens_cuts_the_answer_with_finish_reason_length() -> None:
    request = LLMRequest.completion("echo/x", "a b c d e", params={"max_tokens": 2})
    response = EchoProvider().call(request, "x", timeout=1)
    assert response.text == "a b" and response.finish_reason == "length"


def test_embeddings_are_normalized_stable_and_similar_when_words_are_shared() -> None:
    texts = (
        "What is the capital of France?",
        "what is the capital city of france",
        "Tell me a joke about cats and dogs",
    )
    response = EchoProvider().call(LLMRequest.embedding("echo/e", texts), "e", timeout=1)
    assert response.embeddings is not None
    a, b, c = response.embeddings
    assert len(a) == 64
    assert math.isclose(dot(a, a), 1.0, rel_tol=1e-9)
    assert dot(a, b) > 0.8
    assert dot(a, c) < 0.5
    assert hashed_embedding(texts[0]) == a  # same vector in every process
    assert response.usage.prompt_tokens == 21


def test_latency_option_and_registry() -> None:
    provider = get_provider("echo", ProviderConfig(options={"latency_s": 0.05}))
    assert provider is get_provider("echo", ProviderConfig(options={"latency_s": 0.05}))
    started = time.perf_counter()
    provider.call(LLMRequest.completion("echo/x", "hi"), "x", timeout=1)
    assert time.perf_counter() - started >= 0.05
    assert provider.count_tokens("x", "three little words") == 3
