"""The trace stage: one llm span per call, with GenAI attributes, around answers and streams."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.core.errors import ProviderError
from shipyard.llm.config import GatewayConfig, TracingConfig
from shipyard.llm.stages.base import Call, Chain, Next
from shipyard.llm.stages.trace import TraceStage
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Outcome, ResponseStream, Usage
from shipyard.store.trace_records import CallQuery, SpanRecord, TraceQuery, TraceRecord
from shipyard.tracing import current_span, flush_traces, span, trace
from shipyard.workspace import Workspace, current_workspace

SECRET = "sk-sy-THISISAFAKESECRETTHATMUSTNEVERBESTORED"


class KeyStage:
    """What the auth stage leaves behind: a key id and project in ``call.attributes``."""

    name = "auth"

    def handle(self, call: Call, next: Next) -> Outcome:
        with span("auth", kind="stage") as s:
            s.set_attribute("shipyard.key_id", "key123")
            call.attributes.update({"shipyard.key_id": "key123", "shipyard.project": "support"})
        return next(call)


class Answer:
    """A terminal stage: answers, streams, or fails, inside an attempt span."""

    name = "route"

    def __init__(
        self,
        *,
        fail: BaseException | None = None,
        delay_s: float = 0.0,
        chunk_error: BaseException | None = None,
    ) -> None:
        self.fail = fail
        self.delay_s = delay_s
        self.chunk_error = chunk_error
        self.spans_seen: list[str | None] = []

    def handle(self, call: Call, next: Next) -> Outcome:
        request = call.request
        with span("attempt echo/one", kind="attempt", attributes={"shipyard.attempt": 1}):
            if self.fail is not None:
                raise self.fail
            call.attributes["shipyard.attempts"] = 1
            if request.operation == "embedding":
                return LLMResponse(
                    model="echo/one",
                    provider="echo",
                    embeddings=((0.1, 0.2, 0.3),) * len(request.texts),
                    usage=Usage(prompt_tokens=4),
                )
            if request.stream:
                stream = ResponseStream(self._chunks(), model="echo/one", provider="echo", id="r1")
                stream.cost_usd = 0.01
                return stream
            return LLMResponse(
                model="echo/one",
                text="hi there",
                provider="echo",
                id="resp-1",
                usage=Usage(prompt_tokens=5, completion_tokens=2),
                cost_usd=0.003,
                finish_reason="length",
            )

    def _chunks(self) -> Iterator[Chunk]:
        for word in ("one ", "two ", "three"):
            s = current_span()
            self.spans_seen.append(s.name if s is not None else None)
            time.sleep(self.delay_s)
            yield Chunk(text=word)
            if self.chunk_error is not None:
                raise self.chunk_error
        yield Chunk(finish_reason="stop", usage=Usage(prompt_tokens=3, completion_tokens=3))


def _chain(answer: Answer, **tracing: object) -> Chain:
    config = GatewayConfig(tracing=TracingConfig(**tracing))  # type: ignore[arg-type]
    return Chain([TraceStage(config, current_workspace()), KeyStage(), answer])


def _chat(**kw: object) -> LLMRequest:
    return LLMRequest.chat(
        "fast",
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello?"}],
        **kw,
    )  # type: ignore[arg-type]


def _stored(trace_id: str) -> tuple[TraceRecord, dict[str, SpanRecord]]:
    assert flush_traces(10)
    record, spans = current_workspace().store.traces.get(trace_id)
    return record, {s.name: s for s in spans}


def test_an_answer_gets_an_llm_span_with_genai_attributes() -> None:
    chain = _chain(Answer())
    request = _chat(
        params={"temperature": 0.2, "max_tokens": 16, "top_p": 0.9, "seed": 1},
        prompt_ref="prompt:support@3",
    )
    response = chain(Call(request=request))
    assert isinstance(response, LLMResponse)
    assert response.trace_id is not None and response.latency_ms > 0
    assert current_span() is None

    record, spans = _stored(response.trace_id)
    llm = spans["chat fast"]
    assert llm.kind == "llm" and llm.parent_id is None
    assert spans["auth"].parent_id == llm.span_id
    assert spans["attempt echo/one"].parent_id == llm.span_id
    a = llm.attributes
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.model"] == "fast"
    assert (
        a["gen_ai.request.temperature"],
        a["gen_ai.request.max_tokens"],
        a["gen_ai.request.top_p"],
    ) == (0.2, 16, 0.9)
    assert a["gen_ai.response.model"] == "echo/one" and a["gen_ai.provider.name"] == "echo"
    assert a["gen_ai.response.id"] == "resp-1"
    assert a["gen_ai.response.finish_reasons"] == ["length"]
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (5, 2)
    assert a["shipyard.cost_usd"] == 0.003 and "shipyard.cache" not in a
    assert a["shipyard.target"] == "echo/one" and a["shipyard.attempts"] == 1
    assert a["shipyard.stream"] is False and a["shipyard.prompt_ref"] == "prompt:support@3"
    assert (a["shipyard.key_id"], a["shipyard.project"]) == ("key123", "support")
    assert json.loads(a["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Hello?"}]},
    ]
    assert json.loads(a["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "hi there"}],
            "finish_reason": "length",
        }
    ]
    assert (record.model, record.key_id, record.project) == ("fast", "key123", "support")
    assert (record.prompt_tokens, record.completion_tokens, record.cost_usd) == (5, 2, 0.003)
    (usage,) = current_workspace().store.traces.calls(CallQuery())
    assert (usage.operation, usage.model, usage.target, usage.provider) == (
        "chat",
        "fast",
        "echo/one",
        "echo",
    )
    assert usage.prompt_ref == "prompt:support@3" and usage.latency_ms == llm.duration_ms


def test_a_stream_keeps_its_span_open_until_the_last_chunk() -> None:
    answer = Answer(delay_s=0.02)
    stream = _chain(answer)(Call(request=_chat(stream=True)))
    assert isinstance(stream, ResponseStream)
    assert stream.trace_id is not None
    assert current_span() is None  # the llm span is not left current for the caller
    finished: list[LLMResponse] = []
    stream.on_complete(finished.append)  # registered after the trace stage: sees its result
    time.sleep(0.05)
    text = "".join(c.text for c in stream)
    assert text == "one two three"
    assert stream.response is not None
    assert stream.response.trace_id == stream.trace_id
    # each chunk was produced with the llm span current
    assert answer.spans_seen == ["chat fast"] * 3

    record, spans = _stored(stream.trace_id)
    llm = spans["chat fast"]
    assert llm.duration_ms >= 100  # the wait before reading plus three 20 ms chunks
    assert llm.attributes["shipyard.stream"] is True
    assert (
        llm.attributes["gen_ai.usage.input_tokens"],
        llm.attributes["gen_ai.usage.output_tokens"],
    ) == (3, 3)
    assert llm.attributes["shipyard.cost_usd"] == 0.01
    assert json.loads(llm.attributes["gen_ai.output.messages"])[0]["parts"][0]["content"] == text
    assert llm.attributes["shipyard.key_id"] == "key123"
    assert record.duration_ms >= 100 and record.status == "ok"
    assert current_workspace().store.traces.calls(CallQuery())[0].stream is True


def test_a_stream_that_fails_midway_ends_its_span_with_the_error() -> None:
    answer = Answer(chunk_error=ProviderError("connection reset", provider="echo", retryable=True))
    stream = _chain(answer)(Call(request=_chat(stream=True)))
    assert isinstance(stream, ResponseStream)
    with pytest.raises(ProviderError):
        list(stream)
    record, spans = _stored(stream.trace_id or "")
    llm = spans["chat fast"]
    assert llm.status == "error" and llm.error == "ProviderError: connection reset"
    assert llm.attributes["error.type"] == "ProviderError"
    assert record.status == "error"


def test_a_stream_closed_early_or_dropped_still_ends_its_span() -> None:
    chain = _chain(Answer())
    stream = chain(Call(request=_chat(stream=True)))
    assert isinstance(stream, ResponseStream)
    next(iter(stream))
    stream.close()  # the client hung up
    _, spans = _stored(stream.trace_id or "")
    assert spans["chat fast"].status == "ok"

    dropped = chain(Call(request=_chat(stream=True)))
    trace_id = dropped.trace_id or ""
    del dropped
    gc.collect()
    _, spans = _stored(trace_id)
    assert spans["chat fast"].status == "error"
    assert "without completing" in (spans["chat fast"].error or "")


def test_an_error_is_recorded_and_raised() -> None:
    chain = _chain(Answer(fail=ProviderError("upstream 503", provider="echo", retryable=True)))
    with pytest.raises(ProviderError, match="upstream 503"):
        chain(Call(request=_chat()))
    assert current_span() is None
    assert flush_traces(10)
    (record,) = current_workspace().store.traces.list(TraceQuery())
    _, spans = _stored(record.trace_id)
    llm = spans["chat fast"]
    assert llm.status == "error" and llm.attributes["error.type"] == "ProviderError"
    assert llm.attributes["shipyard.key_id"] == "key123"  # attributable even when it failed
    assert spans["attempt echo/one"].status == "error"
    (usage,) = current_workspace().store.traces.calls(CallQuery())
    assert usage.status == "error" and usage.error_type == "ProviderError"


def test_calls_inside_a_user_trace_nest_under_it() -> None:
    chain = _chain(Answer())
    with trace("rag-answer") as root:
        first = chain(Call(request=_chat()))
        second = chain(Call(request=LLMRequest.completion("local/gemma", "Q: 2+2\nA:")))
        vectors = chain(Call(request=LLMRequest.embedding("local/minilm", ["a", "b"])))
    assert isinstance(first, LLMResponse) and isinstance(second, LLMResponse)
    assert isinstance(vectors, LLMResponse)
    assert first.trace_id == second.trace_id == vectors.trace_id == root.trace_id
    record, spans = _stored(root.trace_id)
    assert {"chat fast", "text_completion local/gemma", "embeddings local/minilm"} <= set(spans)
    assert all(
        spans[n].parent_id == root.span_id
        for n in ("chat fast", "text_completion local/gemma", "embeddings local/minilm")
    )
    completion = spans["text_completion local/gemma"].attributes
    assert json.loads(completion["gen_ai.input.messages"])[0]["parts"][0]["content"] == "Q: 2+2\nA:"
    embed = spans["embeddings local/minilm"].attributes
    assert "gen_ai.input.messages" not in embed and "gen_ai.output.messages" not in embed
    assert embed["gen_ai.embeddings.dimension.count"] == 3
    assert record.name == "rag-answer" and record.model == "fast"
    assert record.prompt_tokens == 5 + 5 + 4
    ops = [c.operation for c in current_workspace().store.traces.calls(CallQuery())]
    assert ops == ["chat", "completion", "embedding"]


def test_messages_are_left_out_when_asked() -> None:
    response = _chain(Answer(), record_messages=False)(Call(request=_chat()))
    _, spans = _stored(response.trace_id or "")  # type: ignore[union-attr]
    a = spans["chat fast"].attributes
    assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a
    assert a["gen_ai.usage.input_tokens"] == 5


def test_disabled_tracing_records_nothing_from_the_request_path() -> None:
    chain = _chain(Answer(), enabled=False)
    response = chain(Call(request=_chat()))
    assert isinstance(response, LLMResponse) and response.trace_id is None
    stream = chain(Call(request=_chat(stream=True)))
    assert isinstance(stream, ResponseStream)
    assert "".join(c.text for c in stream) == "one two three" and stream.trace_id is None
    with trace("mine") as mine:  # a user's own span still is, without the call's spans
        chain(Call(request=_chat()))
    assert flush_traces(10)
    store = current_workspace().store.traces
    assert [t.trace_id for t in store.list(TraceQuery())] == [mine.trace_id]
    assert store.get(mine.trace_id)[0].span_count == 1
    assert store.calls(CallQuery()) == []


def test_no_secret_is_stored_anywhere(isolated_home: Path) -> None:
    chain = _chain(Answer())
    call = Call(request=_chat(), credential=SECRET)
    response = chain(call)
    stream = chain(Call(request=_chat(stream=True), credential=SECRET))
    assert isinstance(stream, ResponseStream)
    list(stream)
    failing = _chain(Answer(fail=ProviderError("nope", provider="echo", retryable=False)))
    with pytest.raises(ProviderError):
        failing(Call(request=_chat(), credential=SECRET))
    assert flush_traces(10)
    store = current_workspace().store.traces
    dumped = json.dumps(
        [
            [t.to_dict(), [s.to_dict() for s in store.get(t.trace_id)[1]]]
            for t in store.list(TraceQuery())
        ]
        + [c.to_dict() for c in store.calls(CallQuery())]
    )
    assert response.trace_id in dumped  # type: ignore[union-attr]
    assert SECRET not in dumped and "FAKESECRET" not in dumped
    ws: Workspace = current_workspace()
    ws.close()  # checkpoint the WAL, then look at the raw bytes of every database file
    for f in isolated_home.rglob("*"):
        if f.is_file():
            assert b"FAKESECRET" not in f.read_bytes(), f
