"""Server-sent events for streamed answers, framed exactly as OpenAI frames them.

A chat stream is a first chunk carrying ``delta.role``, one chunk per piece
of text, a chunk with an empty delta and the ``finish_reason``, a chunk with
no choices and the usage when ``stream_options.include_usage`` was asked,
then ``data: [DONE]``. A failure part-way ends the stream with one
``data: {"error": {...}}`` event (the OpenAI SDK raises ``APIError`` on it).

The request path is synchronous, so the chunks are pulled in the thread pool,
one hop per chunk; when the client hangs up the stream is closed
(``ResponseStream.close``) so the upstream call stops and the stages record
what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from shipyard.llm.gateway.errors import error_payload
from shipyard.llm.gateway.openai_wire import shipyard_info
from shipyard.llm.types import ResponseStream

StreamKind = Literal["chat", "completion"]
DONE = b"data: [DONE]\n\n"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class ChunkFrames:
    """The ``data:`` lines of one stream, with the constant part of each chunk rendered once."""

    def __init__(
        self, kind: StreamKind, id: str, created: int, model: str, include_usage: bool
    ) -> None:
        self.kind = kind
        self.include_usage = include_usage
        obj = "chat.completion.chunk" if kind == "chat" else "text_completion"
        self._head = (
            f'data: {{"id":{_dumps(id)},"object":"{obj}","created":{created},'
            f'"model":{_dumps(model)},"system_fingerprint":null,'
        )
        self._tail = ',"usage":null}\n\n' if include_usage else "}\n\n"

    def _choice(self, payload: str, finish: str | None) -> str:
        reason = "null" if finish is None else _dumps(finish)
        if self.kind == "chat":
            body = f'"delta":{payload},"logprobs":null,"finish_reason":{reason}'
        else:
            body = f'"text":{payload},"logprobs":null,"finish_reason":{reason}'
        return f'"choices":[{{"index":0,{body}}}]'

    def first(self) -> bytes:
        """The opening chunk: the assistant role for a chat, nothing for a completion."""
        if self.kind != "chat":
            return b""
        return (
            self._head + self._choice('{"role":"assistant","content":""}', None) + self._tail
        ).encode()

    def text(self, text: str) -> bytes:
        payload = _dumps({"content": text}) if self.kind == "chat" else _dumps(text)
        return (self._head + self._choice(payload, None) + self._tail).encode()

    def end(self, finish_reason: str, usage: Mapping[str, int], extra: Mapping[str, Any]) -> bytes:
        """The finishing chunk (with the ``shipyard`` object), the usage chunk if asked, [DONE]."""
        payload = "{}" if self.kind == "chat" else '""'
        shipyard = f',"shipyard":{_dumps(extra)}'
        out = self._head + self._choice(payload, finish_reason)
        out += (',"usage":null' if self.include_usage else "") + shipyard + "}\n\n"
        if self.include_usage:
            out += f'{self._head}"choices":[],"usage":{_dumps(usage)}{shipyard}}}\n\n'
        return out.encode() + DONE


def error_event(exc: BaseException) -> bytes:
    _, body, _ = error_payload(exc)
    return f"data: {_dumps(body)}\n\n".encode()


def sse_events(stream: ResponseStream, frames: ChunkFrames) -> Iterator[bytes]:
    """The events after the first one, pulled from ``stream``; ends with [DONE] or an error."""
    try:
        for chunk in stream:
            if chunk.text:
                yield frames.text(chunk.text)
        response = stream.response
        if response is None:  # pragma: no cover - a ResponseStream always sets it at its end
            raise RuntimeError("the stream ended without a response")
    except Exception as exc:  # the client sees it as the last event; never a traceback
        yield error_event(exc)
        return
    yield frames.end(response.finish_reason, response.usage.to_dict(), shipyard_info(response))


class _Pull:
    """An async iterator over a sync one, a thread-pool hop per item; remembers if it ended."""

    def __init__(self, first: bytes, events: Iterator[bytes]) -> None:
        self.first = first
        self.events = events
        self.ended = False

    def __aiter__(self) -> _Pull:
        return self

    async def __anext__(self) -> bytes:
        if self.first:
            first, self.first = self.first, b""
            return first
        if self.ended:
            raise StopAsyncIteration
        item = await anyio.to_thread.run_sync(next, self.events, None)
        if item is None:
            self.ended = True
            raise StopAsyncIteration
        return item


class SSEResponse(StreamingResponse):
    """A ``text/event-stream`` response that closes its ``ResponseStream`` however it ends."""

    def __init__(
        self, stream: ResponseStream, frames: ChunkFrames, headers: Mapping[str, str]
    ) -> None:
        self.stream = stream
        self.pull = _Pull(frames.first(), sse_events(stream, frames))
        super().__init__(
            self.pull, media_type="text/event-stream", headers={**SSE_HEADERS, **headers}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not self.pull.ended:  # the client went away (or sending failed) part-way
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        self.pull.ended = True
        close = getattr(self.pull.events, "close", None)
        if close is not None:
            close()
        self.stream.close()
