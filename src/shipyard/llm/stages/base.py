"""Stages of the LLM request path: small objects with one method, chained in a configured order.

A stage receives the call and the rest of the chain (``next``). It may refuse
(raise), answer by itself (a cache hit), or call ``next`` and look at or change
what comes back. For a streamed answer it registers ``on_complete`` callbacks
on the ``ResponseStream`` instead of waiting for the end.

Each stage opens its own tracing span around *its own* work (not around
``next``), so a trace shows where the time went stage by stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from shipyard.llm.types import LLMRequest, Outcome

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.llm.key_records import VirtualKey
    from shipyard.workspace import Workspace

Next = Callable[["Call"], Outcome]


@dataclass
class Call:
    """One request on its way through the chain, with what stages learnt about it.

    ``credential`` is the secret the caller presented (a virtual key); stages
    must never log, trace or store it. ``key`` is set by the auth stage.
    """

    request: LLMRequest
    credential: str | None = field(default=None, repr=False)
    key: VirtualKey | None = None
    project: str | None = None
    cache: bool = True
    """False when the caller asked not to use the cache (``Cache-Control: no-cache``)."""
    attributes: dict[str, Any] = field(default_factory=dict)
    """Span attributes stages want on the call's span (OpenTelemetry GenAI names)."""

    @property
    def key_id(self) -> str | None:
        return self.key.id if self.key is not None else None


class Stage(Protocol):
    """One step of the request path."""

    name: str

    def handle(self, call: Call, next: Next) -> Outcome: ...


StageFactory = Callable[["GatewayConfig", "Workspace"], Stage]


class Chain:
    """Stages in order; the last one (the router) answers without calling ``next``."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        if not stages:
            raise ValueError("a chain needs at least one stage")
        self.stages = tuple(stages)
        handler: Next = _end_of_chain
        for stage in reversed(self.stages):
            handler = _bind(stage, handler)
        self._handler = handler

    def __call__(self, call: Call) -> Outcome:
        return self._handler(call)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]


def _bind(stage: Stage, next: Next) -> Next:
    def handler(call: Call) -> Outcome:
        return stage.handle(call, next)

    return handler


def _end_of_chain(call: Call) -> Outcome:
    raise RuntimeError("the request path ended without an answer: the last stage must be 'route'")
