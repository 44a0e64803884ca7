"""The ``echo`` provider: a deterministic, instant fake for tests and examples.

* chat → ``"echo: <last user message>"``; completion → the prompt's last line;
* streaming yields the same text a word at a time;
* usage counts whitespace-separated words (exact for this "model");
* embeddings are hashed bags of words (64 dimensions, L2-normalized), so texts
  that share words have a high cosine similarity and unrelated ones a low one
  — enough for the semantic cache to be tested without a real embedder.

Options: ``latency_s`` sleeps that long before answering (a slow upstream),
``dimensions`` changes the embedding size.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from shipyard.llm.providers.base import ProviderConfig
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Usage

DIMENSIONS = 64
_WORD = re.compile(r"\w+")
_PIECE = re.compile(r"\s*\S+")


def hashed_embedding(text: str, dimensions: int = DIMENSIONS) -> tuple[float, ...]:
    """A stable, normalized bag-of-words vector: shared words make vectors point the same way.

    Each lower-cased word adds ±1 to one coordinate, both picked by its
    BLAKE2b hash, so the vector is the same in every process and release.
    """
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vector[digest % dimensions] += 1.0 if (digest >> 32) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:
        vector[0], norm = 1.0, 1.0
    return tuple(x / norm for x in vector)


def echo_text(request: LLMRequest) -> str:
    """What ``echo`` answers: derived only from the request, so tests can predict it."""
    if request.operation == "chat":
        users = [m.content for m in request.messages if m.role == "user"]
        return f"echo: {users[-1] if users else request.messages[-1].content}"
    lines = (request.prompt or "").strip().splitlines()
    return lines[-1] if lines else ""


class EchoProvider:
    """Answers instantly (or after ``latency_s``) with text derived from the request."""

    name = "echo"
    capabilities = frozenset({"chat", "completion", "embedding", "stream"})

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        options: dict[str, Any] = dict(self.config.options)
        self.latency_s = float(options.get("latency_s") or 0.0)
        self.dimensions = int(options.get("dimensions") or DIMENSIONS)

    def call(self, request: LLMRequest, model: str, *, timeout: float) -> LLMResponse:
        self._wait()
        if request.operation == "embedding":
            return LLMResponse(
                model=f"echo/{model}",
                embeddings=tuple(hashed_embedding(t, self.dimensions) for t in request.texts),
                usage=Usage(prompt_tokens=sum(len(t.split()) for t in request.texts)),
                provider=self.name,
                id=f"echo-{uuid.uuid4().hex[:12]}",
            )
        text, finish = self._answer(request)
        return LLMResponse(
            model=f"echo/{model}",
            text=text,
            finish_reason=finish,
            usage=Usage(_prompt_words(request), len(text.split())),
            provider=self.name,
            id=f"echo-{uuid.uuid4().hex[:12]}",
        )

    def stream(self, request: LLMRequest, model: str, *, timeout: float) -> Iterator[Chunk]:
        self._wait()
        text, finish = self._answer(request)
        return self._chunks(text, finish, _prompt_words(request))

    def count_tokens(self, model: str, text: str) -> int | None:
        return len(text.split())

    def _answer(self, request: LLMRequest) -> tuple[str, str]:
        text = echo_text(request)
        limit = request.params.get("max_tokens")
        if isinstance(limit, int) and len(text.split()) > limit:
            return "".join(_PIECE.findall(text)[:limit]), "length"
        return text, "stop"

    def _chunks(self, text: str, finish: str, prompt_words: int) -> Iterator[Chunk]:
        pieces = _PIECE.findall(text)
        for piece in pieces:
            yield Chunk(text=piece)
        yield Chunk(finish_reason=finish, usage=Usage(prompt_words, len(pieces)))

    def _wait(self) -> None:
        if self.latency_s > 0:
            time.sleep(self.latency_s)


def _prompt_words(request: LLMRequest) -> int:
    if request.operation == "chat":
        return sum(len(m.content.split()) for m in request.messages)
    return len((request.prompt or "").split())
