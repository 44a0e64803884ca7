"""Streams: retried and replaced until the first chunk; afterwards errors reach the consumer."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.core.errors import ProviderError
from shipyard.llm.types import Chunk, ResponseStream, Usage

A = {"provider": "openai", "model": "a", "weight": 1}
B = {"provider": "openai", "model": "b", "weight": 0}


def test_a_stream_is_retried_before_its_first_chunk(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted(
        [
            fail(503),
            [fail(502)],
            [Chunk(text="Hel"), Chunk(text="lo", finish_reason="stop", usage=Usage(4, 2))],
        ]
    )
    h = harness(config(A), {"openai/a": a})
    stream = h.chat(stream=True)
    assert isinstance(stream, ResponseStream)
    assert stream.model == "openai/a" and stream.provider == "openai" and stream.attempts == 3
    assert [c.text for c in stream] == ["Hel", "lo"]
    assert stream.response is not None
    assert stream.response.text == "Hello"
    assert stream.response.usage == Usage(4, 2)
    assert stream.response.attempts == 3
    assert [c["kind"] for c in a.calls] == ["stream"] * 3
    assert len(h.sleeps) == 2


def test_a_stream_falls_back_before_its_first_chunk(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([[fail(401, retryable=False)]])
    b = scripted(answer="from b")
    h = harness(config(A, B), {"openai/a": a, "openai/b": b})
    stream = h.chat(stream=True)
    assert stream.model == "openai/b"
    assert "".join(c.text for c in stream) == "from b"
    assert h.attributes["shipyard.fallback"] is True


def test_an_error_after_the_first_chunk_reaches_the_consumer_and_counts_against_the_target(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([[Chunk(text="partial "), fail(502)]])
    b = scripted()
    h = harness(config(A, B), {"openai/a": a, "openai/b": b})
    stream = h.chat(stream=True)
    got: list[str] = []
    errors: list[BaseException] = []
    stream.on_error(errors.append)
    with pytest.raises(ProviderError):
        for chunk in stream:
            got.append(chunk.text)
    assert got == ["partial "]
    assert b.calls == [] and len(a.calls) == 1
    assert len(errors) == 1
    assert h.router.breaker_states()["openai/a"].failures == 1


def test_an_empty_stream_is_an_answer(harness: Any, scripted: Any, config: Any) -> None:
    h = harness(config(A), {"openai/a": scripted([[]])})
    stream = h.chat(stream=True)
    assert list(stream) == []
    assert stream.response is not None and stream.response.text == ""


def test_a_provider_without_streaming_answers_as_one_chunk(
    harness: Any, scripted: Any, config: Any
) -> None:
    a = scripted(answer="whole answer", capabilities=frozenset({"chat"}))
    h = harness(config(A), {"openai/a": a})
    stream = h.chat(stream=True)
    chunks = list(stream)
    assert [c.text for c in chunks] == ["whole answer"]
    assert chunks[0].finish_reason == "stop"
    assert a.calls[0]["kind"] == "call"
    assert stream.response is not None and stream.response.usage == Usage(10, 5)


def test_cost_and_missing_usage_are_settled_when_the_stream_ends(
    harness: Any, scripted: Any, config: Any
) -> None:
    a = scripted([[Chunk(text="one two "), Chunk(text="three", finish_reason="stop")]])
    h = harness(
        config(
            {"provider": "echo", "model": "e"},
            prices={"echo/e": {"input": 1000.0, "output": 2000.0}},
        ),
        {"echo/e": a},
    )
    stream = h.chat(stream=True)
    list(stream)
    response = stream.response
    assert response is not None
    # echo counts whitespace words: "hello there" → 2 prompt tokens, "one two three" → 3
    assert response.usage == Usage(2, 3, estimated=True)
    assert response.cost_usd == pytest.approx((2 * 1000 + 3 * 2000) / 1e6)
    assert stream.cost_usd == response.cost_usd
    assert response.latency_ms > 0
    assert h.attributes["shipyard.usage_estimated"] is True
    assert h.attributes["shipyard.price_known"] is True


def test_closing_a_stream_early_closes_the_providers_stream(
    harness: Any, scripted: Any, config: Any
) -> None:
    closed: list[bool] = []

    class Closing(scripted):  # type: ignore[misc, valid-type]
        def stream(self, request: Any, model: str, *, timeout: float) -> Any:
            def chunks() -> Any:
                try:
                    yield Chunk(text="a")
                    yield Chunk(text="b")
                    yield Chunk(text="c")
                finally:
                    closed.append(True)

            return chunks()

    h = harness(config(A), {"openai/a": Closing()})
    stream = h.chat(stream=True)
    it = iter(stream)
    assert next(it).text == "a"
    stream.close()
    assert closed == [True]
    assert stream.response is not None and stream.response.finish_reason == "cancelled"
