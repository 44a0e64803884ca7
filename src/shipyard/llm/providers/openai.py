"""The ``openai`` provider: OpenAI's wire protocol, at whatever host speaks it.

One adapter serves OpenAI, vLLM, Ollama, a llama.cpp server or another
shipyard gateway: only ``base_url`` (default ``https://api.openai.com/v1``,
else ``$OPENAI_BASE_URL``) and the key (``$OPENAI_API_KEY`` when the config
has none; optional for hosts that need none) change. Chat
(``/chat/completions``), completions (``/completions``), embeddings
(``/embeddings``), and streaming over server-sent events with the final usage
chunk (``stream_options.include_usage``). A host that reports no usage gets
it counted offline, marked ``estimated``.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.llm import tokens
from shipyard.llm.providers import http
from shipyard.llm.providers.base import ProviderConfig
from shipyard.llm.providers.transport import Reply, StreamReply, TransportError
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Usage
from shipyard.tracing import trace_headers

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_PASSED = frozenset(
    {"temperature", "top_p", "max_tokens", "stop", "seed", "n", "response_format"}
    | {"presence_penalty", "frequency_penalty", "logprobs", "top_logprobs"}
)
_REASONING = ("o1", "o3", "o4", "gpt-5")
"""Models that take ``max_completion_tokens`` instead of ``max_tokens``."""


def error_message(body: Any) -> str | None:
    """The message of OpenAI's ``{"error": {"message", "type", "code"}}`` body."""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        parts = [str(err.get("message") or "")]
        tags = [str(err[k]) for k in ("type", "code") if err.get(k)]
        if tags:
            parts.append(f"({', '.join(tags)})")
        return " ".join(p for p in parts if p) or None
    if isinstance(err, str):
        return err
    return None


class OpenAIProvider:
    """An OpenAI-compatible host over one pooled, thread-safe ``HttpClient``."""

    name = "openai"
    capabilities = frozenset({"chat", "completion", "embedding", "stream"})

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.base_url = (
            self.config.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        self._key = self.config.api_key or os.environ.get("OPENAI_API_KEY") or None
        headers = {"content-type": "application/json", **dict(self.config.headers)}
        if self._key:
            headers["authorization"] = f"Bearer {self._key}"
        organization = self.config.options.get("organization")
        if organization:
            headers["openai-organization"] = str(organization)
        self.client = http.make_client(self.base_url, headers)

    def close(self) -> None:
        self.client.close()

    def call(self, request: LLMRequest, model: str, *, timeout: float) -> LLMResponse:
        path, body = self._body(request, model, stream=False)
        data = self._post(path, body, timeout)
        if request.operation == "embedding":
            return self._embedding_response(request, model, data)
        choice = (data.get("choices") or [{}])[0]
        if request.operation == "chat":
            text = (choice.get("message") or {}).get("content") or ""
        else:
            text = choice.get("text") or ""
        return LLMResponse(
            model=f"openai/{model}",
            text=text,
            finish_reason=choice.get("finish_reason") or "stop",
            usage=self._usage(data.get("usage"), request, model, text),
            id=str(data.get("id", "")),
            provider=self.name,
            raw=data,
        )

    def stream(self, request: LLMRequest, model: str, *, timeout: float) -> Iterator[Chunk]:
        """Open the stream now (so a refusal raises here, before any chunk) and read it lazily."""
        if request.operation == "embedding":
            raise InvalidInput("embeddings cannot be streamed")
        path, body = self._body(request, model, stream=True)
        response = self._open(path, body, timeout)
        return http.ChunkStream(response, self._read(request, model, response))

    def count_tokens(self, model: str, text: str) -> int | None:
        if tokens.openai_encoding(model) is None:
            return None
        return tokens.count_tokens(f"openai/{model}", text)[0]

    def _body(self, request: LLMRequest, model: str, *, stream: bool) -> tuple[str, dict[str, Any]]:
        if not self._key and self.base_url == DEFAULT_BASE_URL:
            raise InvalidInput(
                "the openai provider needs an API key for api.openai.com: set OPENAI_API_KEY, "
                "or api_key_env on the target; or point base_url at a host that needs none"
            )
        body: dict[str, Any] = {"model": model}
        if request.operation == "embedding":
            body["input"] = list(request.texts)
            if "dimensions" in request.params:
                body["dimensions"] = request.params["dimensions"]
            return "/embeddings", body
        for key, value in request.params.items():
            if key in _PASSED and value is not None:
                body[key] = value
        if "max_tokens" in body and request.operation == "chat" and model.startswith(_REASONING):
            body["max_completion_tokens"] = body.pop("max_tokens")
        if request.user:
            body["user"] = request.user
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if request.operation == "chat":
            body["messages"] = [m.to_dict() for m in request.messages]
            return "/chat/completions", body
        body["prompt"] = request.prompt or ""
        return "/completions", body

    def _post(self, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        return http.post_json(
            self.client,
            path,
            body,
            timeout=timeout,
            provider=self.name,
            base_url=self.base_url,
            status_error=self._status_error,
            headers=trace_headers(),
        )

    def _open(self, path: str, body: dict[str, Any], timeout: float) -> StreamReply:
        return http.open_stream(
            self.client,
            path,
            body,
            timeout=timeout,
            provider=self.name,
            base_url=self.base_url,
            status_error=self._status_error,
            headers=trace_headers(),
        )

    def _status_error(self, response: Reply) -> ProviderError:
        err = http.status_error(self.name, response, secret=self._key, message_of=error_message)
        if "insufficient_quota" in err.message:  # a 429 that waiting does not fix
            err.retryable = False
        return err

    def _usage(self, raw: Any, request: LLMRequest, model: str, text: str) -> Usage:
        if isinstance(raw, dict) and "prompt_tokens" in raw:
            return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))
        return estimate_usage(request, f"openai/{model}", text)

    def _embedding_response(
        self, request: LLMRequest, model: str, data: dict[str, Any]
    ) -> LLMResponse:
        rows = sorted(data.get("data") or [], key=lambda row: int(row.get("index", 0)))
        if len(rows) != len(request.texts):
            raise ProviderError(
                f"openai at {http.safe_url(self.base_url)} returned {len(rows)} embeddings for "
                f"{len(request.texts)} texts",
                provider=self.name,
                retryable=True,
            )
        raw = data.get("usage")
        if isinstance(raw, dict) and "prompt_tokens" in raw:
            usage = Usage(prompt_tokens=int(raw["prompt_tokens"] or 0))
        else:
            usage = estimate_usage(request, f"openai/{model}", "")
        return LLMResponse(
            model=f"openai/{model}",
            embeddings=tuple(tuple(float(x) for x in row["embedding"]) for row in rows),
            usage=usage,
            provider=self.name,
            id=str(data.get("id", "")),
        )

    def _read(
        self, request: LLMRequest, model: str, response: StreamReply
    ) -> Generator[Chunk, None, None]:
        name = self.name
        parts: list[str] = []
        finish: str | None = None
        usage: Usage | None = None
        try:
            for _event, data in http.iter_sse(response.iter_lines()):
                if data.strip() == "[DONE]":
                    break
                event = http.load_json(name, data)
                if not isinstance(event, dict):
                    continue
                if "error" in event:
                    raise ProviderError(
                        f"openai stream failed: {error_message(event)}",
                        provider=name,
                        retryable=True,
                    )
                if isinstance(event.get("usage"), dict):
                    raw = event["usage"]
                    usage = Usage(
                        int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
                    )
                for choice in event.get("choices") or []:
                    if request.operation == "chat":
                        text = (choice.get("delta") or {}).get("content")
                    else:
                        text = choice.get("text")
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
                    if text:
                        parts.append(text)
                        yield Chunk(text=text)
        except TransportError as exc:
            raise http.transport_error(name, exc, self.base_url) from None
        finally:
            response.close()
        if usage is None:
            usage = estimate_usage(request, f"openai/{model}", "".join(parts))
        yield Chunk(finish_reason=finish or "stop", usage=usage)


def estimate_usage(request: LLMRequest, model: str, text: str) -> Usage:
    """Usage counted offline, for hosts that report none."""
    if request.operation == "chat":
        prompt, _ = tokens.count_messages(model, request.messages)
    else:
        prompt, _ = tokens.count_tokens(model, request.prompt_text())
    completion = tokens.count_tokens(model, text)[0] if text else 0
    return Usage(prompt, completion, estimated=True)
