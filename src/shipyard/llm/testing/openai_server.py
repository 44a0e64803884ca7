"""``FakeOpenAI``: an ASGI app that speaks OpenAI's REST wire format.

Routes (under ``/v1``, so a client's ``base_url`` is ``<server>/v1``):
``POST /chat/completions``, ``POST /completions`` (both with ``stream: true``
as server-sent events, the usage chunk when ``stream_options.include_usage``
and the closing ``data: [DONE]``), ``POST /embeddings`` (float or base64,
deterministic hashed vectors of ``embedding_dim`` or ``dimensions``),
``GET /models`` and ``GET /models/{id}``. The key is checked as
``Authorization: Bearer <key>``. Knobs: see ``shipyard.llm.testing``.
The official ``openai`` SDK works against it (tested).
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from shipyard.llm.providers.echo import hashed_embedding
from shipyard.llm.testing import FakeUpstream, Reply, truncate, words

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request: the fake was told to refuse it."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    408: ("server_error", None, "Request timed out."),
    409: ("server_error", None, "Conflict: the request was interrupted, please retry."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min "
        "(RPM): Limit 3, Used 3, Requested 1. Please try again in 1s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


class FakeOpenAI(FakeUpstream):
    """OpenAI's API, scripted. ``embedding_dim`` sets the default embedding size (64)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        latency_s: float = 0.0,
        chunk_delay_s: float = 0.0,
        reply: Reply = None,
        models: Sequence[str] = DEFAULT_MODELS,
        strict_models: bool = False,
        embedding_dim: int = 64,
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
        self.embedding_dim = embedding_dim
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/completions", self._completion, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/models/{model:path}", self._model, methods=["GET"]),
            ]
        )

    def error_body(self, status: int, message: str | None = None) -> Any:
        """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
        kind, code, default = _ERRORS.get(
            status,
            ("server_error" if status >= 500 else "invalid_request_error", None, f"HTTP {status}"),
        )
        if status == 401 and message is None:
            message = default
        return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}

    def error_headers(self, status: int, retry_after: float) -> dict[str, str]:
        if status != 429:
            return {}
        return {
            "retry-after": f"{retry_after:g}",
            "retry-after-ms": f"{retry_after * 1000:g}",
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after:g}s",
            "x-ratelimit-limit-tokens": "40000",
            "x-ratelimit-remaining-tokens": "39980",
            "x-ratelimit-reset-tokens": "30ms",
        }

    def key_of(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    # -- routes -------------------------------------------------------------------------------

    async def _chat(self, request: Request) -> Response:
        body, refused = await self._checked(request, "messages")
        if refused is not None:
            return refused
        users = [m for m in body["messages"] if isinstance(m, dict) and m.get("role") == "user"]
        prompt = " ".join(
            _content(m.get("content")) for m in body["messages"] if isinstance(m, dict)
        )
        text, pieces, cut = truncate(
            self.reply_text(body, _content(users[-1].get("content")) if users else ""),
            body.get("max_completion_tokens", body.get("max_tokens")),
        )
        finish = "length" if cut else "stop"
        usage = _usage(words(prompt), len(pieces))
        ident, created, model = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time()), body["model"]
        if body.get("stream"):
            head = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
            }
            deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "refusal": None}]
            deltas += [{"content": piece} for piece in pieces]
            choices: list[dict[str, Any]] = [
                {"index": 0, "delta": d, "logprobs": None, "finish_reason": None} for d in deltas
            ]
            choices.append({"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish})
            return self._sse(body, head, choices, usage)
        return self.json({
            "id": ident, "object": "chat.completion", "created": created, "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish,
            }],
            "usage": usage,
            "system_fingerprint": "fp_fake",
        })  # fmt: skip

    async def _completion(self, request: Request) -> Response:
        body, refused = await self._checked(request, "prompt")
        if refused is not None:
            return refused
        prompt = (
            body["prompt"]
            if isinstance(body["prompt"], str)
            else " ".join(map(str, body["prompt"]))
        )
        lines = prompt.strip().splitlines()
        text, pieces, cut = truncate(
            self.reply_text(body, lines[-1] if lines else ""), body.get("max_tokens", 16)
        )
        finish = "length" if cut else "stop"
        usage = _usage(words(prompt), len(pieces))
        ident, created, model = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time()), body["model"]
        head = {"id": ident, "object": "text_completion", "created": created, "model": model}
        if body.get("stream"):
            choices = [
                {"text": piece, "index": 0, "logprobs": None, "finish_reason": None}
                for piece in pieces
            ]
            choices.append({"text": "", "index": 0, "logprobs": None, "finish_reason": finish})
            return self._sse(body, head, choices, usage)
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
        return self.json({**head, "choices": [choice], "usage": usage})

    async def _embeddings(self, request: Request) -> Response:
        body, refused = await self._checked(request, "input")
        if refused is not None:
            return refused
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        texts = [t if isinstance(t, str) else " ".join(map(str, t)) for t in texts]
        dim = int(body.get("dimensions") or self.embedding_dim)
        base64_format = body.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(texts):
            vector = hashed_embedding(text, dim)
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode()
                if base64_format
                else list(vector)
            )
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = sum(words(t) for t in texts)
        return self.json({
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })  # fmt: skip

    async def _models(self, request: Request) -> Response:
        _, refused = await self.admit(request)
        if refused is not None:
            return refused
        return self.json({"object": "list", "data": [_model_entry(m) for m in self.models]})

    async def _model(self, request: Request) -> Response:
        _, refused = await self.admit(request)
        if refused is not None:
            return refused
        name = request.path_params["model"]
        if name not in self.models:
            return self.json(self._not_found(name), 404)
        return self.json(_model_entry(name))

    # -- helpers ----------------------------------------------------------------------------------

    async def _checked(self, request: Request, needed: str) -> tuple[Any, Response | None]:
        body, refused = await self.admit(request)
        if refused is not None:
            return body, refused
        for name in ("model", needed):
            if not isinstance(body, dict) or body.get(name) in (None, "", []):
                message = f"you must provide a {name} parameter"
                return body, self.json(self.error_body(400, message), 400)
        if self.strict_models and body["model"] not in self.models:
            return body, self.json(self._not_found(body["model"]), 404)
        return body, None

    def _not_found(self, model: str) -> Any:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return self.error_body(404, message)

    def _sse(
        self,
        body: dict[str, Any],
        head: dict[str, Any],
        choices: list[dict[str, Any]],
        usage: dict[str, int],
    ) -> Response:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        delay, fail_after = self.chunk_delay_s, self.stream_error_after

        async def events() -> AsyncIterator[str]:
            sent = 0
            for choice in choices:
                has_text = bool(choice.get("text") or (choice.get("delta") or {}).get("content"))
                if has_text and fail_after is not None and sent >= fail_after:
                    error = self.error_body(500)
                    yield f"data: {json.dumps(error)}\n\n"
                    return
                chunk = {**head, "choices": [choice]}
                if include_usage:
                    chunk["usage"] = None
                yield f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n"
                sent += has_text
                if delay > 0:
                    await asyncio.sleep(delay)
            if include_usage:
                final = {**head, "choices": [], "usage": usage}
                yield f"data: {json.dumps(final, separators=(',', ':'))}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


def _content(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _model_entry(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1715367049, "owned_by": "fake-openai"}
