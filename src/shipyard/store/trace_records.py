"""Records of tracing: traces, their spans, and the LLM calls usage and cost add up.

Times: ``started_at`` in milliseconds since the epoch (traces, calls),
``start_us`` in microseconds (spans, which can be shorter than a millisecond).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SpanRecord:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str
    """``llm`` (a model call), ``attempt`` (one try at one target), ``stage``, ``internal``..."""
    start_us: int
    duration_ms: float
    status: str = "ok"
    error: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "kind": self.kind,
            "start_us": self.start_us,
            "duration_ms": self.duration_ms,
            "status": self.status,
            "error": self.error,
            "attributes": self.attributes,
            "events": self.events,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpanRecord:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(slots=True)
class TraceRecord:
    """One trace with its totals over the LLM calls inside it."""

    trace_id: str
    name: str
    started_at: int
    duration_ms: float
    status: str = "ok"
    error: str | None = None
    model: str | None = None
    key_id: str | None = None
    project: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cache_hit: bool = False
    span_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TraceRecord:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(slots=True)
class LLMCallRecord:
    """One model call through the request path (a row of usage)."""

    trace_id: str
    span_id: str
    started_at: int
    operation: str
    model: str
    status: str
    latency_ms: float
    provider: str | None = None
    target: str | None = None
    key_id: str | None = None
    project: str | None = None
    error_type: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cache: str | None = None
    stream: bool = False
    prompt_ref: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LLMCallRecord:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class TraceQuery:
    """Filters of the traces list; every field optional. Newest first."""

    model: str | None = None
    key_id: str | None = None
    project: str | None = None
    status: str | None = None
    min_duration_ms: float | None = None
    max_duration_ms: float | None = None
    min_cost_usd: float | None = None
    cache_hit: bool | None = None
    name: str | None = None
    since: int | None = None
    until: int | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class CallQuery:
    """Filters of LLM calls (usage pages and reports). Oldest first."""

    model: str | None = None
    key_id: str | None = None
    project: str | None = None
    since: int | None = None
    until: int | None = None
    limit: int = 100_000
