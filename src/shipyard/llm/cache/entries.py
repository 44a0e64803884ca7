"""A cached answer: what is kept of a response, how it is written, how it is replayed.

Only the answer itself is kept (text or embeddings, finish reason, usage, who
answered); cost, latency, trace id and the provider's raw body are not, since a
hit has its own. A hit costs nothing: its usage is the tokens the answer
represents, recorded but not charged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shipyard.llm.types import CacheHit, Chunk, LLMResponse, ResponseStream, Usage

STORABLE_FINISH = frozenset({"stop", "length", "end_turn", "stop_sequence", "max_tokens"})
"""Finish reasons of an answer that ended normally; anything else (cancelled, error) is not kept."""

_PIECES = re.compile(r"\s*\S+|\s+")


def storable(response: LLMResponse) -> bool:
    """Whether ``response`` may be cached: it ended normally and is not itself a hit."""
    return response.cache is None and response.finish_reason in STORABLE_FINISH


@dataclass(frozen=True)
class CachedAnswer:
    text: str
    finish_reason: str
    usage: Usage
    model: str
    provider: str = ""
    id: str = ""
    embeddings: tuple[tuple[float, ...], ...] | None = None

    @classmethod
    def from_response(cls, response: LLMResponse) -> CachedAnswer:
        return cls(
            text=response.text,
            finish_reason=response.finish_reason,
            usage=Usage(
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
                estimated=response.usage.estimated,
            ),
            model=response.model,
            provider=response.provider,
            id=response.id,
            embeddings=response.embeddings,
        )

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
                "estimated": self.usage.estimated,
            },
            "model": self.model,
            "provider": self.provider,
            "id": self.id,
        }
        if self.embeddings is not None:
            doc["embeddings"] = [list(v) for v in self.embeddings]
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CachedAnswer:
        doc = json.loads(text)
        usage = doc.get("usage") or {}
        embeddings = doc.get("embeddings")
        return cls(
            text=str(doc.get("text", "")),
            finish_reason=str(doc.get("finish_reason", "stop")),
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
                estimated=bool(usage.get("estimated", False)),
            ),
            model=str(doc.get("model", "")),
            provider=str(doc.get("provider", "")),
            id=str(doc.get("id", "")),
            embeddings=None
            if embeddings is None
            else tuple(tuple(float(x) for x in v) for v in embeddings),
        )

    def to_response(self, cache: CacheHit, *, latency_ms: float = 0.0) -> LLMResponse:
        """The hit as a response: free, zero attempts, marked with the cache that served it."""
        return LLMResponse(
            model=self.model,
            text=self.text,
            finish_reason=self.finish_reason,
            usage=self.usage,
            embeddings=self.embeddings,
            id=self.id,
            provider=self.provider,
            cost_usd=0.0,
            cache=cache,
            latency_ms=latency_ms,
            attempts=0,
        )

    def to_stream(self, cache: CacheHit) -> ResponseStream:
        """The hit replayed as a stream of word-sized chunks ending with finish reason and usage."""
        return ResponseStream(
            self._chunks(),
            model=self.model,
            provider=self.provider,
            id=self.id,
            cache=cache,
            attempts=0,
        )

    def _chunks(self) -> Iterator[Chunk]:
        for piece in _PIECES.findall(self.text):
            yield Chunk(text=piece)
        yield Chunk(finish_reason=self.finish_reason, usage=self.usage)
