"""A fast OpenAI-compatible upstream with a fixed latency: what the gateways stand in front of.

The gateway benchmarks measure what a gateway *adds*, so the upstream must
cost next to nothing itself: a raw asyncio protocol on uvloop with httptools'
parser (no framework, no ASGI), answering ``POST /v1/chat/completions`` and
``POST /v1/completions`` with a small, valid OpenAI body that includes
``usage``, after a fixed delay (``--delay-ms``, default 0). ``stream: true``
gets Server-Sent Events in OpenAI's chunk format (chunked transfer encoding,
a usage chunk when ``stream_options.include_usage`` is set, then
``data: [DONE]``). ``GET /v1/models`` lists one model, ``GET /health`` is the
readiness check, and ``GET /stats`` returns how many completions were served,
so a benchmark can prove each request through a gateway reached the upstream
(or, for a cache hit, did not).

Standard library plus uvloop and httptools (both in shipyard's ``serving``
extra). One process, one core; on this machine class it serves several
thousand requests/s (``gateway_overhead.py`` measures it as "upstream alone").

    python benchmarks/gateway/upstream.py --port 9100 --delay-ms 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from typing import Any

import httptools

CONTENT = "Hello from the benchmark upstream."
PROMPT_TOKENS = 12
COMPLETION_TOKENS = 8
STREAM_PIECES = ("Hello", " from the", " benchmark", " upstream.")


class Stats:
    completions = 0
    streams = 0
    started = time.time()


def _response(status: str, body: bytes, ctype: bytes = b"application/json") -> bytes:
    return (
        b"HTTP/1.1 " + status.encode() + b"\r\ncontent-type: " + ctype
        + b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


def completion_body(kind: str, model: str, seq: int) -> bytes:
    usage = {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
    }
    created = int(time.time())
    if kind == "chat":
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": CONTENT},
            "logprobs": None,
            "finish_reason": "stop",
        }
        obj, prefix = "chat.completion", "chatcmpl"
    else:
        choice = {"index": 0, "text": CONTENT, "logprobs": None, "finish_reason": "stop"}
        obj, prefix = "text_completion", "cmpl"
    body = {
        "id": f"{prefix}-bench{seq}",
        "object": obj,
        "created": created,
        "model": model,
        "choices": [choice],
        "usage": usage,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def stream_body(kind: str, model: str, seq: int, include_usage: bool) -> bytes:
    """The whole SSE answer as HTTP/1.1 chunks (one chunk per event)."""
    created = int(time.time())
    obj = "chat.completion.chunk" if kind == "chat" else "text_completion"
    rid = f"chatcmpl-bench{seq}" if kind == "chat" else f"cmpl-bench{seq}"

    def event(choice: dict[str, Any] | None, usage: dict[str, int] | None = None) -> bytes:
        data: dict[str, Any] = {
            "id": rid,
            "object": obj,
            "created": created,
            "model": model,
            "choices": [choice] if choice is not None else [],
        }
        if usage is not None:
            data["usage"] = usage
        return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"

    events = []
    for i, piece in enumerate(STREAM_PIECES):
        if kind == "chat":
            delta: dict[str, Any] = {"content": piece}
            if i == 0:
                delta["role"] = "assistant"
            events.append(event({"index": 0, "delta": delta, "finish_reason": None}))
        else:
            events.append(event({"index": 0, "text": piece, "finish_reason": None}))
    last = {"index": 0, "finish_reason": "stop"}
    last.update({"delta": {}} if kind == "chat" else {"text": ""})
    events.append(event(last))
    if include_usage:
        usage = {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        }
        events.append(event(None, usage))
    events.append(b"data: [DONE]\n\n")
    out = [b"%x\r\n%s\r\n" % (len(e), e) for e in events]
    out.append(b"0\r\n\r\n")
    return b"".join(out)


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
MODELS = json.dumps(
    {"object": "list", "data": [{"id": "bench", "object": "model", "owned_by": "bench"}]}
).encode()
NOT_FOUND = _response("404 Not Found", b'{"error":{"message":"not found","type":"not_found"}}')


class Upstream(asyncio.Protocol):
    """One connection: parse requests with httptools, answer each after ``delay`` seconds."""

    delay = 0.0

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body: list[bytes] = []
        self.close_after = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.write(_response("400 Bad Request", b"{}"))
                self.transport.close()

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        self.url = b""
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.close_after = not self.parser.should_keep_alive()
        answer = self.answer(self.parser.get_method(), self.url.split(b"?", 1)[0])
        if self.delay > 0:
            asyncio.get_running_loop().call_later(self.delay, self.send, answer, self.close_after)
        else:
            self.send(answer, self.close_after)

    def send(self, data: bytes, close: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        if close:
            transport.close()

    def answer(self, method: bytes, path: bytes) -> bytes:
        if method == b"POST" and path in (b"/v1/chat/completions", b"/v1/completions"):
            kind = "chat" if path == b"/v1/chat/completions" else "completion"
            try:
                req = json.loads(b"".join(self.body) or b"{}")
            except ValueError:
                return _response("400 Bad Request", b'{"error":{"message":"bad json"}}')
            model = str(req.get("model") or "bench")
            Stats.completions += 1
            seq = Stats.completions
            if req.get("stream"):
                Stats.streams += 1
                usage = bool((req.get("stream_options") or {}).get("include_usage"))
                return STREAM_HEAD + stream_body(kind, model, seq, usage)
            return _response("200 OK", completion_body(kind, model, seq))
        if method == b"GET" and path == b"/health":
            return _response("200 OK", b'{"status":"ok"}')
        if method == b"GET" and path == b"/stats":
            stats = {"completions": Stats.completions, "streams": Stats.streams}
            return _response("200 OK", json.dumps(stats).encode())
        if method == b"GET" and path == b"/v1/models":
            return _response("200 OK", MODELS)
        return NOT_FOUND

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(host: str, port: int, delay_ms: float) -> None:
    Upstream.delay = delay_ms / 1000
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Upstream, host, port, backlog=1024, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"upstream on http://{host}:{port} delay {delay_ms:g} ms pid {os.getpid()}", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay-ms", type=float, default=0.0, help="fixed latency of every answer")
    args = p.parse_args()
    import uvloop

    uvloop.run(serve(args.host, args.port, args.delay_ms))


if __name__ == "__main__":
    main()
