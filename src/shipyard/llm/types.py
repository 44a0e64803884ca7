"""The values that flow through the LLM request path: a request, a response, a stream of chunks.

They are provider-neutral. Providers translate them to and from their wire
format; the gateway translates them to and from the OpenAI wire format; stages
read and annotate them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from shipyard.core.errors import InvalidInput

Operation = Literal["chat", "completion", "embedding"]
CacheHit = Literal["exact", "semantic"]

ROLES = frozenset({"system", "user", "assistant", "tool", "developer"})
SAMPLING_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logprobs",
        "top_logprobs",
        "n",
        "response_format",
        "repeat_penalty",
        "top_k",
    }
)
"""Parameters passed to providers; each provider maps or drops the ones it does not know."""


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: str
    content: str
    name: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(
                f"message role must be one of {', '.join(sorted(ROLES))}, got {self.role!r}"
            )
        if not isinstance(self.content, str):
            raise InvalidInput("message content must be a string")

    @classmethod
    def coerce(cls, value: Message | Mapping[str, Any]) -> Message:
        """A ``Message`` from itself or an OpenAI-style ``{"role", "content"}`` dict."""
        if isinstance(value, Message):
            return value
        if not isinstance(value, Mapping) or "role" not in value:
            raise InvalidInput('each message must be an object with "role" and "content"')
        content = value.get("content")
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
        if content is None:
            content = ""
        return cls(role=str(value["role"]), content=content, name=value.get("name"))

    def to_dict(self) -> dict[str, str]:
        out = {"role": self.role, "content": self.content}
        if self.name:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class Usage:
    """Tokens a call used. ``estimated`` is true when counted offline, not reported by the provider."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True)
class LLMRequest:
    """One call: a chat, a completion or an embedding, for a model name or alias.

    ``model`` is either an alias from the gateway config (``fast``) or
    ``provider/model`` (``local/gemma-3-270m``, ``openai/gpt-4o-mini``).
    """

    operation: Operation
    model: str
    messages: tuple[Message, ...] = ()
    prompt: str | None = None
    texts: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    stream: bool = False
    user: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    prompt_ref: str | None = None
    """The registered prompt version this request was rendered from (``prompt:support@3``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise InvalidInput("model must be a non-empty string such as 'local/gemma-3-270m'")
        if self.operation == "chat" and not self.messages:
            raise InvalidInput("a chat request needs at least one message")
        if self.operation == "completion" and self.prompt is None:
            raise InvalidInput("a completion request needs a prompt")
        if self.operation == "embedding" and not self.texts:
            raise InvalidInput("an embedding request needs at least one text")
        if self.stream and self.operation == "embedding":
            raise InvalidInput("embeddings cannot be streamed")

    @classmethod
    def chat(
        cls, model: str, messages: Sequence[Message | Mapping[str, Any]], **kwargs: Any
    ) -> LLMRequest:
        return cls("chat", model, messages=tuple(Message.coerce(m) for m in messages), **kwargs)

    @classmethod
    def completion(cls, model: str, prompt: str, **kwargs: Any) -> LLMRequest:
        return cls("completion", model, prompt=prompt, **kwargs)

    @classmethod
    def embedding(cls, model: str, texts: Sequence[str], **kwargs: Any) -> LLMRequest:
        return cls("embedding", model, texts=tuple(texts), **kwargs)

    def with_model(self, model: str) -> LLMRequest:
        return replace(self, model=model)

    def prompt_text(self) -> str:
        """The text a person would call the prompt: what the semantic cache embeds."""
        if self.operation == "chat":
            return "\n".join(f"{m.role}: {m.content}" for m in self.messages)
        if self.operation == "completion":
            return self.prompt or ""
        return "\n".join(self.texts)


@dataclass(frozen=True)
class LLMResponse:
    """What a call returned, with where it came from and what it cost.

    ``text`` is the assistant message for a chat and the generated text for a
    completion; ``embeddings`` is set for an embedding call.
    """

    model: str
    """The ``provider/model`` that answered (or that the cached answer came from)."""
    text: str = ""
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    embeddings: tuple[tuple[float, ...], ...] | None = None
    id: str = ""
    provider: str = ""
    cost_usd: float = 0.0
    cache: CacheHit | None = None
    latency_ms: float = 0.0
    attempts: int = 1
    trace_id: str | None = None
    raw: Mapping[str, Any] | None = None
    """The provider's response body, when there was one (never cached or stored)."""

    def evolve(self, **changes: Any) -> LLMResponse:
        """A copy with ``changes``: ``dataclasses.replace`` without its per-field ``__init__``
        (a fifth of the cost; the router and the trace stage call it on every answer)."""
        unknown = changes.keys() - _RESPONSE_FIELDS
        if unknown:
            raise TypeError(f"LLMResponse has no field {sorted(unknown)[0]!r}")
        new = object.__new__(LLMResponse)
        state = new.__dict__
        state.update(self.__dict__)
        state.update(changes)
        return new


_RESPONSE_FIELDS = frozenset(f.name for f in fields(LLMResponse))


@dataclass(frozen=True)
class Chunk:
    """A piece of a streamed answer. The last chunk carries ``finish_reason`` (and usage if known)."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None


class ResponseStream:
    """A streamed answer: iterate for chunks; ``response`` holds the whole answer once done.

    Stages that need the complete answer (cache store, usage record, output
    guards) register ``on_complete`` callbacks instead of buffering the stream
    themselves; ``on_error`` callbacks see a failure part-way. Closing the
    stream early (a client that hung up) counts as completion of what was sent.
    """

    def __init__(
        self,
        chunks: Iterator[Chunk],
        *,
        model: str,
        provider: str = "",
        id: str = "",
        cache: CacheHit | None = None,
        attempts: int = 1,
    ) -> None:
        self._chunks = chunks
        self.model = model
        self.provider = provider
        self.id = id
        self.cache: CacheHit | None = cache
        self.attempts = attempts
        self.cost_usd = 0.0
        self.trace_id: str | None = None
        self.response: LLMResponse | None = None
        self._parts: list[str] = []
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._on_complete: list[Callable[[LLMResponse], LLMResponse | None]] = []
        self._on_error: list[Callable[[BaseException], None]] = []
        self._done = False

    def on_complete(self, callback: Callable[[LLMResponse], LLMResponse | None]) -> None:
        """Call ``callback`` with the whole answer when the stream ends; it may return a new one."""
        self._on_complete.append(callback)

    def on_error(self, callback: Callable[[BaseException], None]) -> None:
        self._on_error.append(callback)

    def map_chunks(self, transform: Callable[[Iterator[Chunk]], Iterator[Chunk]]) -> None:
        """Wrap the chunk iterator (an output guard that edits or stops a stream)."""
        self._chunks = transform(self._chunks)

    def __iter__(self) -> Iterator[Chunk]:
        try:
            for chunk in self._chunks:
                if chunk.text:
                    self._parts.append(chunk.text)
                if chunk.finish_reason is not None:
                    self._finish = chunk.finish_reason
                if chunk.usage is not None:
                    self._usage = chunk.usage
                yield chunk
        except GeneratorExit:
            self._complete("cancelled")
            raise
        except BaseException as exc:
            if not self._done:
                self._done = True
                for callback in reversed(self._on_error):
                    callback(exc)
            raise
        self._complete(None)

    def close(self) -> None:
        """Stop early (the client went away); callbacks still see what was produced."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        self._complete("cancelled")

    def _complete(self, reason: str | None) -> None:
        if self._done:
            return
        self._done = True
        response = LLMResponse(
            model=self.model,
            text="".join(self._parts),
            finish_reason=self._finish or reason or "stop",
            usage=self._usage or Usage(),
            id=self.id,
            provider=self.provider,
            cache=self.cache,
            attempts=self.attempts,
            cost_usd=self.cost_usd,
            trace_id=self.trace_id,
        )
        # innermost stage registered first; run them inside-out like a returning call
        try:
            for callback in self._on_complete:
                changed = callback(response)
                if changed is not None:
                    response = changed
        except BaseException as exc:  # an output guard blocked the end of the stream, say
            for on_error in reversed(self._on_error):
                on_error(exc)
            raise
        self.response = response


Outcome = LLMResponse | ResponseStream
"""What a stage returns: a whole answer, or a stream that will produce one."""
