"""The ``anthropic`` provider: the Messages API (``POST /v1/messages``), with streaming.

Base URL ``https://api.anthropic.com`` (else ``$ANTHROPIC_BASE_URL``), key from
the config or ``$ANTHROPIC_API_KEY``, sent as ``x-api-key`` with
``anthropic-version: 2023-06-01`` (option ``api_version`` changes it). System
messages go to the top-level ``system`` field; ``max_tokens`` is required by
the API, so it defaults to 1024 (option ``max_tokens``). A completion is sent
as one user message. Anthropic has no embeddings endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.llm.providers import http
from shipyard.llm.providers.base import DEFAULT_EMBEDDING_MODEL, ProviderConfig
from shipyard.llm.providers.transport import Reply, StreamReply, TransportError
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Usage

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
"""Anthropic's ``stop_reason`` in OpenAI's ``finish_reason`` words."""


def error_message(body: Any) -> str | None:
    """The message of Anthropic's ``{"type": "error", "error": {"type", "message"}}`` body."""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        message = str(err.get("message") or "")
        return f"{message} ({err['type']})" if err.get("type") else message or None
    return None


class AnthropicProvider:
    """Anthropic's Messages API over one pooled, thread-safe ``HttpClient``."""

    name = "anthropic"
    capabilities = frozenset({"chat", "completion", "stream"})

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.base_url = (
            self.config.base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        self._key = self.config.api_key or os.environ.get("ANTHROPIC_API_KEY") or None
        options = self.config.options
        self.max_tokens = int(options.get("max_tokens") or DEFAULT_MAX_TOKENS)
        headers = {
            "content-type": "application/json",
            "anthropic-version": str(options.get("api_version") or API_VERSION),
            **dict(self.config.headers),
        }
        if self._key:
            headers["x-api-key"] = self._key
        self.client = http.make_client(self.base_url, headers)

    def close(self) -> None:
        self.client.close()

    def call(self, request: LLMRequest, model: str, *, timeout: float) -> LLMResponse:
        body = self._body(request, model, stream=False)
        data = http.post_json(
            self.client,
            "/v1/messages",
            body,
            timeout=timeout,
            provider=self.name,
            base_url=self.base_url,
            status_error=self._status_error,
        )
        text = "".join(
            str(block.get("text", ""))
            for block in data.get("content") or []
            if isinstance(block, dict) and block.get("type") == "text"
        )
        usage = data.get("usage") or {}
        return LLMResponse(
            model=f"anthropic/{model}",
            text=text,
            finish_reason=STOP_REASONS.get(str(data.get("stop_reason")), "stop"),
            usage=Usage(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)),
            id=str(data.get("id", "")),
            provider=self.name,
            raw=data,
        )

    def stream(self, request: LLMRequest, model: str, *, timeout: float) -> Iterator[Chunk]:
        """Open the stream now (a refusal raises here, before any chunk) and read it lazily."""
        body = self._body(request, model, stream=True)
        response = http.open_stream(
            self.client,
            "/v1/messages",
            body,
            timeout=timeout,
            provider=self.name,
            base_url=self.base_url,
            status_error=self._status_error,
        )
        return http.ChunkStream(response, self._read(response))

    def count_tokens(self, model: str, text: str) -> int | None:
        """None: Anthropic's tokenizer is not available offline (shipyard estimates with cl100k)."""
        return None

    def _body(self, request: LLMRequest, model: str, *, stream: bool) -> dict[str, Any]:
        if request.operation == "embedding":
            raise InvalidInput(
                f"anthropic has no embeddings API; use an embedding model such as "
                f"{DEFAULT_EMBEDDING_MODEL} or openai/text-embedding-3-small"
            )
        if not self._key and self.base_url == DEFAULT_BASE_URL:
            raise InvalidInput(
                "the anthropic provider needs an API key: set ANTHROPIC_API_KEY, "
                "or api_key_env on the target"
            )
        system: list[str] = []
        messages: list[dict[str, str]] = []
        if request.operation == "chat":
            for m in request.messages:
                if m.role in ("system", "developer"):
                    system.append(m.content)
                else:
                    role = "assistant" if m.role == "assistant" else "user"
                    messages.append({"role": role, "content": m.content})
        else:
            messages.append({"role": "user", "content": request.prompt or ""})
        params = request.params
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": int(params.get("max_tokens") or self.max_tokens),
            "messages": messages,
        }
        if system:
            body["system"] = "\n\n".join(system)
        for key in ("temperature", "top_p", "top_k"):
            if params.get(key) is not None:
                body[key] = params[key]
        stop = params.get("stop")
        if stop:
            body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        if request.user:
            body["metadata"] = {"user_id": request.user}
        if stream:
            body["stream"] = True
        return body

    def _status_error(self, response: Reply) -> ProviderError:
        return http.status_error(self.name, response, secret=self._key, message_of=error_message)

    def _read(self, response: StreamReply) -> Generator[Chunk, None, None]:
        prompt_tokens = completion_tokens = 0
        finish = "stop"
        try:
            for event, data in http.iter_sse(response.iter_lines()):
                payload = http.load_json(self.name, data)
                if not isinstance(payload, dict):
                    continue
                kind = payload.get("type", event)
                if kind == "content_block_delta":
                    delta = payload.get("delta") or {}
                    if delta.get("type") == "text_delta" and delta.get("text"):
                        yield Chunk(text=str(delta["text"]))
                elif kind == "message_start":
                    usage = (payload.get("message") or {}).get("usage") or {}
                    prompt_tokens = int(usage.get("input_tokens") or 0)
                    completion_tokens = int(usage.get("output_tokens") or 0)
                elif kind == "message_delta":
                    reason = (payload.get("delta") or {}).get("stop_reason")
                    if reason:
                        finish = STOP_REASONS.get(str(reason), "stop")
                    usage = payload.get("usage") or {}
                    if "output_tokens" in usage:
                        completion_tokens = int(usage["output_tokens"] or 0)
                    if usage.get("input_tokens"):
                        prompt_tokens = int(usage["input_tokens"])
                elif kind == "message_stop":
                    break
                elif kind == "error":
                    err = payload.get("error") or {}
                    etype = str(err.get("type", ""))
                    raise ProviderError(
                        f"anthropic stream failed: {error_message(payload)}",
                        provider=self.name,
                        retryable=etype in ("overloaded_error", "api_error", "rate_limit_error"),
                        status=429 if etype == "rate_limit_error" else 502,
                    )
        except TransportError as exc:
            raise http.transport_error(self.name, exc, self.base_url) from None
        finally:
            response.close()
        yield Chunk(finish_reason=finish, usage=Usage(prompt_tokens, completion_tokens))
