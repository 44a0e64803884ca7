"""The trace stage: the outermost stage, one ``llm`` span around the whole call.

The span is named as the OpenTelemetry GenAI conventions say (``chat
gpt-4o-mini``: operation, then the model asked for) and carries the request's
parameters, the answer's model, tokens, cost, cache hit and target, and what
the inner stages left in ``call.attributes`` (key, project, attempts). Every
stage's own span nests under it; the recorder turns it into the ``llm_calls``
row that usage and cost pages add up.

A streamed answer keeps the span open until the stream ends, so the span's
duration covers the whole stream; the span stops being the *current* one as
soon as ``handle`` returns (the caller consumes the stream later, elsewhere),
and each chunk is pulled with the span current again so work done lazily while
streaming nests under it too.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from shipyard.core import fastjson
from shipyard.llm.stages.base import Call, Next
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Outcome, ResponseStream
from shipyard.tracing import Span, genai, no_tracing, start_span, use_span

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.workspace import Workspace

_REQUEST_PARAMS = {
    "temperature": genai.REQUEST_TEMPERATURE,
    "max_tokens": genai.REQUEST_MAX_TOKENS,
    "top_p": genai.REQUEST_TOP_P,
}


class TraceStage:
    """Opens the call's ``llm`` span; a pass-through when ``tracing.enabled`` is false."""

    name = "trace"

    def __init__(self, config: GatewayConfig, workspace: Workspace) -> None:
        self.enabled = config.tracing.enabled
        self.record_messages = config.tracing.record_messages
        self.otlp_endpoint = config.otlp_endpoint
        self.workspace = workspace

    def handle(self, call: Call, next: Next) -> Outcome:
        if not self.enabled:
            with no_tracing():
                outcome = next(call)
            if isinstance(outcome, ResponseStream):
                outcome.map_chunks(lambda chunks: _pull_within(no_tracing, chunks))
            return outcome
        request = call.request
        operation = genai.OPERATIONS.get(request.operation, request.operation)
        s = start_span(
            f"{operation} {request.model}",
            kind=genai.KIND_LLM,
            attributes=self._request_attributes(request, operation),
            workspace=self.workspace,
            otlp_endpoint=self.otlp_endpoint,
        )
        try:
            with use_span(s):
                outcome = next(call)
        except BaseException as exc:
            _fail(s, call, exc)
            raise
        if isinstance(outcome, ResponseStream):
            return self._follow(s, call, outcome)
        return self._complete(s, call, outcome)

    def _follow(self, s: Span, call: Call, stream: ResponseStream) -> ResponseStream:
        stream.trace_id = s.trace_id
        stream.map_chunks(lambda chunks: _pull_within(lambda: use_span(s), chunks))
        stream.on_complete(lambda response: self._complete(s, call, response))
        stream.on_error(lambda exc: _fail(s, call, exc))
        # A stream dropped unread, or whose inner callback raised, still ends its span.
        weakref.finalize(stream, _abandoned, s, call).atexit = False
        return stream

    def _complete(self, s: Span, call: Call, response: LLMResponse) -> LLMResponse:
        usage = response.usage
        provider = response.provider or response.model.partition("/")[0]
        s.set_attributes(
            {
                genai.RESPONSE_MODEL: response.model,
                genai.PROVIDER_NAME: provider or None,
                genai.RESPONSE_ID: response.id or None,
                genai.RESPONSE_FINISH_REASONS: [response.finish_reason],
                genai.USAGE_INPUT_TOKENS: usage.prompt_tokens,
                genai.USAGE_OUTPUT_TOKENS: usage.completion_tokens,
                genai.USAGE_ESTIMATED: usage.estimated or None,
                genai.COST_USD: response.cost_usd,
                genai.CACHE: response.cache,
                genai.TARGET: response.model,
                genai.ATTEMPTS: response.attempts,
            }
        )
        if response.embeddings:
            s.set_attribute("gen_ai.embeddings.dimension.count", len(response.embeddings[0]))
        elif self.record_messages:
            s.set_attribute(genai.OUTPUT_MESSAGES, _output_messages(response))
        s.set_attributes(call.attributes)
        s.end()
        return response.evolve(trace_id=s.trace_id, latency_ms=round(s.elapsed_ms, 3))

    def _request_attributes(self, request: LLMRequest, operation: str) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            genai.OPERATION_NAME: operation,
            genai.REQUEST_MODEL: request.model,
            genai.STREAM: request.stream,
        }
        for param, key in _REQUEST_PARAMS.items():
            value = request.params.get(param)
            if isinstance(value, int | float) and not isinstance(value, bool):
                attributes[key] = value
        if request.prompt_ref:
            attributes[genai.PROMPT_REF] = request.prompt_ref
        if self.record_messages and request.operation != "embedding":
            attributes[genai.INPUT_MESSAGES] = _input_messages(request)
        return attributes


def _fail(s: Span, call: Call, exc: BaseException) -> None:
    s.set_attributes(call.attributes)
    s.set_attribute(genai.ERROR_TYPE, type(exc).__name__)
    s.end(exc)


def _abandoned(s: Span, call: Call) -> None:
    if not s.ended:
        _fail(s, call, RuntimeError("the stream ended without completing"))


def _pull_within(
    scope: Callable[[], AbstractContextManager[Any]], chunks: Iterator[Chunk]
) -> Iterator[Chunk]:
    """Each chunk produced inside ``scope()`` (a span made current, or tracing off), never across a ``yield``."""
    it = iter(chunks)
    try:
        while True:
            with scope():
                try:
                    chunk = next(it)
                except StopIteration:
                    return
            yield chunk
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            with scope():
                close()


def _text_message(role: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": content}], **extra}


def _input_messages(request: LLMRequest) -> str:
    if request.operation == "chat":
        messages = [_text_message(m.role, m.content) for m in request.messages]
    else:
        messages = [_text_message("user", request.prompt or "")]
    return fastjson.dumps_text(messages)


def _output_messages(response: LLMResponse) -> str:
    message = _text_message("assistant", response.text, finish_reason=response.finish_reason)
    return fastjson.dumps_text([message])
