"""``FakeAnthropic``: an ASGI app that speaks Anthropic's Messages API wire format.

Routes: ``POST /v1/messages`` (``stream: true`` sends the documented events:
``message_start`` with ``usage.input_tokens``, ``content_block_start``,
``ping``, ``content_block_delta`` text deltas, ``content_block_stop``,
``message_delta`` with ``stop_reason`` and ``usage.output_tokens``,
``message_stop``; ``event: error`` when ``stream_error_after`` is set),
``POST /v1/messages/count_tokens`` and ``GET /v1/models``. A client's base
URL is the server's root.

It checks what the real API checks and a provider could get wrong:
``x-api-key`` (when ``api_key`` is set), the ``anthropic-version`` header,
a required ``max_tokens``, and no ``system`` role inside ``messages``.
Errors use Anthropic's body ``{"type": "error", "error": {"type",
"message"}, "request_id"}``; 429 carries ``retry-after`` and the
``anthropic-ratelimit-*`` headers, 529 is ``overloaded_error``.
Knobs: see ``shipyard.llm.testing``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from shipyard.llm.testing import FakeUpstream, Reply, truncate, words

DEFAULT_MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request: the fake was told to refuse it."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "Not found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. Please reduce the prompt length or the maximum tokens requested, or try "
        "again later.",
    ),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


class FakeAnthropic(FakeUpstream):
    """Anthropic's Messages API, scripted."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        latency_s: float = 0.0,
        chunk_delay_s: float = 0.0,
        reply: Reply = None,
        models: Sequence[str] = DEFAULT_MODELS,
        strict_models: bool = False,
        max_recorded: int = 1000,
    ) -> None:
        super().__init__(
            api_key=api_key,
            latency_s=latency_s,
            chunk_delay_s=chunk_delay_s,
            reply=reply,
            models=models,
            strict_models=strict_models,
            max_recorded=max_recorded,
        )
        self.app = Starlette(
            routes=[
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/messages/count_tokens", self._count_tokens, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    def error_body(self, status: int, message: str | None = None) -> Any:
        """Anthropic's error body for ``status``."""
        kind, default = _ERRORS.get(
            status, ("api_error" if status >= 500 else "invalid_request_error", f"HTTP {status}")
        )
        return {
            "type": "error",
            "error": {"type": kind, "message": message or default},
            "request_id": f"req_{uuid.uuid4().hex[:24]}",
        }

    def error_headers(self, status: int, retry_after: float) -> dict[str, str]:
        if status != 429:
            return {}
        reset = (datetime.now(UTC) + timedelta(seconds=retry_after)).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {"retry-after": f"{retry_after:g}"}
        for kind, limit in (("requests", "50"), ("tokens", "40000"), ("input-tokens", "30000")):
            headers[f"anthropic-ratelimit-{kind}-limit"] = limit
            headers[f"anthropic-ratelimit-{kind}-remaining"] = "0" if kind == "requests" else limit
            headers[f"anthropic-ratelimit-{kind}-reset"] = reset
        return headers

    def key_of(self, request: Request) -> str | None:
        return request.headers.get("x-api-key")

    # -- routes -------------------------------------------------------------------------------

    async def _messages(self, request: Request) -> Response:
        body, refused = await self._checked(request, needs_max_tokens=True)
        if refused is not None:
            return refused
        users = [m for m in body["messages"] if m.get("role") == "user"]
        text, pieces, cut = truncate(
            self.reply_text(body, _text(users[-1].get("content")) if users else ""),
            body["max_tokens"],
        )
        stop_reason = "max_tokens" if cut else "end_turn"
        usage = {
            "input_tokens": _input_tokens(body),
            "output_tokens": len(pieces),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        message = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        if body.get("stream"):
            return self._sse(message, pieces)
        return self.json(message, headers={"request-id": f"req_{uuid.uuid4().hex[:24]}"})

    async def _count_tokens(self, request: Request) -> Response:
        body, refused = await self._checked(request, needs_max_tokens=False)
        if refused is not None:
            return refused
        return self.json({"input_tokens": _input_tokens(body)})

    async def _models(self, request: Request) -> Response:
        _, refused = await self.admit(request)
        if refused is not None:
            return refused
        data = [
            {
                "type": "model",
                "id": name,
                "display_name": name.replace("-", " ").title(),
                "created_at": "2025-09-29T00:00:00Z",
            }
            for name in self.models
        ]
        return self.json({
            "data": data, "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        })  # fmt: skip

    # -- helpers ----------------------------------------------------------------------------------

    async def _checked(
        self, request: Request, *, needs_max_tokens: bool
    ) -> tuple[Any, Response | None]:
        body, refused = await self.admit(request)
        if refused is not None:
            return body, refused

        def bad(message: str) -> tuple[Any, Response]:
            return body, self.json(self.error_body(400, message), 400)

        if not request.headers.get("anthropic-version"):
            return bad("anthropic-version: header is required")
        if not isinstance(body, dict):
            return bad("the request body must be a JSON object")
        if not body.get("model"):
            return bad("model: Field required")
        if needs_max_tokens and not isinstance(body.get("max_tokens"), int):
            return bad("max_tokens: Field required")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return bad("messages: at least one message is required")
        for m in messages:
            role = m.get("role") if isinstance(m, dict) else None
            if role not in ("user", "assistant"):
                return bad(
                    f'messages: Unexpected role "{role}". The Messages API accepts a top-level '
                    '`system` parameter, not "system" as an input message role.'
                )
        if self.strict_models and body["model"] not in self.models:
            return body, self.json(self.error_body(404, f"model: {body['model']}"), 404)
        return body, None

    def _sse(self, message: dict[str, Any], pieces: list[str]) -> Response:
        delay, fail_after = self.chunk_delay_s, self.stream_error_after
        usage = message["usage"]
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {**usage, "output_tokens": 1},
        }

        def event(name: str, data: dict[str, Any]) -> str:
            return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

        async def events() -> AsyncIterator[str]:
            yield event("message_start", {"type": "message_start", "message": start})
            yield event(
                "content_block_start",
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}},
            )  # fmt: skip
            yield event("ping", {"type": "ping"})
            for sent, piece in enumerate(pieces):
                if fail_after is not None and sent >= fail_after:
                    yield event("error", self.error_body(529))
                    return
                yield event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0,
                     "delta": {"type": "text_delta", "text": piece}},
                )  # fmt: skip
                if delay > 0:
                    await asyncio.sleep(delay)
            yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
            yield event(
                "message_delta",
                {"type": "message_delta",
                 "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                 "usage": {"output_tokens": usage["output_tokens"]}},
            )  # fmt: skip
            yield event("message_stop", {"type": "message_stop"})

        return StreamingResponse(events(), media_type="text/event-stream")


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        )
    return "" if content is None else str(content)


def _input_tokens(body: dict[str, Any]) -> int:
    system = body.get("system")
    total = words(_text(system)) if system else 0
    return total + sum(words(_text(m.get("content"))) for m in body["messages"])
