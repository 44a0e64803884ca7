"""Server-sent events for streamed answers, framed exactly as OpenAI frames them.

A chat stream is a first chunk carrying ``delta.role``, one chunk per piece
of text, a chunk with an empty delta and the ``finish_reason``, a chunk with
no choices and the usage when ``stream_options.include_usage`` was asked,
then ``data: [DONE]``. A failure part-way ends the stream with one
``data: {"error": {...}}`` event (the OpenAI SDK raises ``APIError`` on it).

The request path is synchronous, so each stream is pulled by one thread of the
gateway's pool; when the client hangs up the stream is closed
(``ResponseStream.close``) so the upstream call stops and the stages record
what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from typing import Any, Literal

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from shipyard.core import fastjson
from shipyard.llm.gateway.errors import error_payload
from shipyard.llm.gateway.openai_wire import shipyard_info
from shipyard.llm.types import ResponseStream

log = logging.getLogger("shipyard.gateway")
StreamKind = Literal["chat", "completion"]
DONE = b"data: [DONE]\n\n"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _dumps(value: object) -> str:
    return fastjson.dumps_text(value)


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


WINDOW = 64
"""Frames a stream may run ahead of a slow client before its producer thread waits."""


class _Pump:
    """Runs a stream's sync event iterator in one pool thread and hands the frames to the loop.

    One thread per stream rather than one thread-pool hop per chunk: a hop
    costs ~0.1 ms, and a cached answer replayed as a hundred word chunks would
    pay it a hundred times. Frames that pile up while the client is slow are
    sent together. The producer thread is also the one that closes the stream
    when the client hangs up, so the iterator is never touched by two threads.
    """

    def __init__(
        self, first: bytes, events: Iterator[bytes], stream: ResponseStream, pool: Executor
    ) -> None:
        self.first = first
        self.events = events
        self.stream = stream
        self.pool = pool
        self.ended = False
        """True once every frame was handed over (the stream ended, normally or with an error)."""
        self.stopped = False
        self._window = threading.Semaphore(WINDOW)
        self._queue: asyncio.Queue[bytes | None] | None = None

    def __aiter__(self) -> _Pump:
        return self

    async def __anext__(self) -> bytes:
        if self.first:
            first, self.first = self.first, b""
            return first
        if self.ended:
            raise StopAsyncIteration
        queue = self._queue
        if queue is None:
            queue = self._queue = asyncio.Queue()
            self.pool.submit(self._produce, asyncio.get_running_loop(), queue)
        parts = [await queue.get()]
        while parts[-1] is not None and not queue.empty():
            parts.append(queue.get_nowait())
        frames = [p for p in parts if p is not None]
        for _ in frames:
            self._window.release()
        if parts[-1] is None:
            self.ended = True
            if not frames:
                raise StopAsyncIteration
        return b"".join(frames)

    def stop(self) -> None:
        """The client is gone: the producer closes the stream at its next step."""
        self.stopped = True
        self._window.release()  # in case it waits for room
        if self._queue is None:  # never started: nobody else will close it
            self.pool.submit(self._close)

    def _produce(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]) -> None:
        try:
            for frame in self.events:
                self._window.acquire()
                if self.stopped:
                    break
                loop.call_soon_threadsafe(queue.put_nowait, frame)
        except BaseException:  # pragma: no cover - sse_events turns failures into events
            log.exception("a gateway stream failed")
        finally:
            if self.stopped:
                self._close()
            with contextlib.suppress(RuntimeError):  # the loop is gone at shutdown
                loop.call_soon_threadsafe(queue.put_nowait, None)

    def _close(self) -> None:
        close = getattr(self.events, "close", None)
        if close is not None:
            close()
        self.stream.close()


class SSEResponse(StreamingResponse):
    """A ``text/event-stream`` response that closes its ``ResponseStream`` however it ends."""

    def __init__(
        self,
        stream: ResponseStream,
        frames: ChunkFrames,
        headers: Mapping[str, str],
        pool: Executor,
    ) -> None:
        self.pump = _Pump(frames.first(), sse_events(stream, frames), stream, pool)
        super().__init__(
            self.pump, media_type="text/event-stream", headers={**SSE_HEADERS, **headers}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not self.pump.ended:  # the client went away (or sending failed) part-way
                self.pump.stop()
