"""The response stream: callbacks see the whole answer, errors, and early closes."""

from __future__ import annotations

import pytest

from shipyard.llm.types import Chunk, LLMResponse, ResponseStream


def _stream(*texts: str) -> ResponseStream:
    chunks = [Chunk(text=t) for t in texts]
    chunks.append(Chunk(finish_reason="stop"))
    return ResponseStream(iter(chunks), model="echo/echo")


def test_on_complete_sees_the_whole_answer_and_may_replace_it() -> None:
    stream = _stream("a ", "b")
    seen: list[str] = []
    stream.on_complete(lambda r: seen.append(r.text))
    stream.on_complete(lambda r: r.evolve(cost_usd=1.5))
    assert [c.text for c in stream] == ["a ", "b", ""]
    assert seen == ["a b"]
    assert isinstance(stream.response, LLMResponse) and stream.response.cost_usd == 1.5


def test_a_failing_on_complete_runs_the_error_callbacks() -> None:
    stream = _stream("x")
    errors: list[BaseException] = []

    def block(_response: LLMResponse) -> None:
        raise ValueError("blocked")

    stream.on_complete(block)
    stream.on_error(errors.append)
    with pytest.raises(ValueError):
        list(stream)
    assert len(errors) == 1 and str(errors[0]) == "blocked"


def test_closing_early_completes_with_what_was_sent() -> None:
    stream = _stream("one ", "two ", "three")
    it = iter(stream)
    next(it)
    stream.close()
    assert stream.response is not None
    assert stream.response.text == "one "
    assert stream.response.finish_reason == "cancelled"


def test_evolve_copies_with_changes_and_refuses_unknown_fields() -> None:
    from dataclasses import FrozenInstanceError, replace

    from shipyard.llm.types import Usage

    original = LLMResponse(model="echo/echo", text="hi", usage=Usage(3, 4), raw={"id": "x"})
    changed = original.evolve(trace_id="t1", latency_ms=2.5)
    assert changed == replace(original, trace_id="t1", latency_ms=2.5)
    assert changed is not original and original.trace_id is None and original.latency_ms == 0.0
    assert changed.raw is original.raw and changed.usage is original.usage  # shallow, as replace
    with pytest.raises(FrozenInstanceError):
        changed.text = "no"  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field 'colour'"):
        original.evolve(colour="red")
