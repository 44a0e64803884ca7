"""The cache stage: answer from the exact or semantic cache, else ask the rest of the chain and keep the answer.

A hit costs nothing (``cost_usd`` 0, ``attempts`` 0) and is marked
``cache="exact"`` or ``"semantic"``; its usage is the tokens the cached answer
represents, recorded but not charged. A streamed request is served from cache
as a replay of the cached text in word-sized chunks. Only answers that ended
normally are kept; a stream is kept when it completes, not when it is
cancelled or fails. ``Call.cache = False`` (``Cache-Control: no-cache``) skips
the stage entirely: no lookup, no store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipyard.core.clock import now_ms
from shipyard.core.errors import ShipyardError
from shipyard.llm.cache import cache_repo
from shipyard.llm.cache.entries import CachedAnswer, storable
from shipyard.llm.cache.exact import ExactCache
from shipyard.llm.cache.local import local_state
from shipyard.llm.cache.request_key import cache_scope, params_hash, request_hash
from shipyard.llm.stages.base import Call, Next
from shipyard.llm.types import CacheHit, LLMResponse, Outcome, ResponseStream

if TYPE_CHECKING:
    from shipyard.llm.cache.embedder import Embedder
    from shipyard.llm.cache.semantic import SemanticCache, Vector
    from shipyard.llm.config import GatewayConfig
    from shipyard.store.sql.llm_cache import CacheRow
    from shipyard.tracing import Span
    from shipyard.workspace import Workspace

log = logging.getLogger("shipyard.llm.cache")

CACHE_ATTRIBUTE = "shipyard.cache"
SIMILARITY_ATTRIBUTE = "shipyard.cache.similarity"
SEMANTIC_OPERATIONS = frozenset({"chat", "completion"})


@dataclass
class _Lookup:
    """What a miss learnt that the store after it needs (so the prompt is embedded once)."""

    scope: str
    exact_key: str | None = None
    group: str | None = None
    vector: Vector | None = None


@dataclass(frozen=True)
class _Hit:
    answer: CachedAnswer
    kind: CacheHit
    similarity: float | None = None


class CacheStage:
    name = "cache"

    def __init__(
        self,
        config: GatewayConfig,
        workspace: Workspace,
        *,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.settings = config.cache
        self.workspace = workspace
        self.clock = clock
        self.traced = config.tracing.enabled
        self.exact: ExactCache | None = None
        self.semantic: SemanticCache | None = None
        self.embedder: Embedder | None = None
        self.enabled = self.settings.exact or self.settings.semantic
        if not self.enabled:
            return
        self.repo = cache_repo(workspace)
        if self.settings.exact:
            self.exact = ExactCache(self.repo, self.settings.ttl_s)
        if self.settings.semantic:
            from shipyard.llm.cache.embedder import Embedder
            from shipyard.llm.cache.semantic import SemanticCache

            self.semantic = SemanticCache(self.repo, self.settings.threshold, self.settings.ttl_s)
            self.embedder = Embedder(config)

    def handle(self, call: Call, next: Next) -> Outcome:
        if not self.enabled or not call.cache:
            return next(call)
        started = time.perf_counter()
        with self._span() as span:
            lookup = self._plan(call)
            hit = self._lookup(call, lookup, span)
            if span is not None:
                span.set_attribute(CACHE_ATTRIBUTE, hit.kind if hit else "miss")
                if hit is not None and hit.similarity is not None:
                    span.set_attribute(SIMILARITY_ATTRIBUTE, round(hit.similarity, 6))
        if hit is not None:
            call.attributes[CACHE_ATTRIBUTE] = hit.kind
            if call.request.stream:
                return hit.answer.to_stream(hit.kind)
            latency_ms = (time.perf_counter() - started) * 1000
            return hit.answer.to_response(hit.kind, latency_ms=latency_ms)
        outcome = next(call)
        if isinstance(outcome, ResponseStream):
            if outcome.cache is None:
                outcome.on_complete(lambda response: self._store(call, lookup, response))
        else:
            self._store(call, lookup, outcome)
        return outcome

    def _span(self) -> Any:
        if not self.traced:
            return nullcontext(None)
        from shipyard.tracing import span

        return span("cache", kind="stage", workspace=self.workspace)

    def _plan(self, call: Call) -> _Lookup:
        request = call.request
        project = call.project or (call.key.project if call.key is not None else None)
        lookup = _Lookup(
            scope=cache_scope(
                self.settings.scope, request.model, key_id=call.key_id, project=project
            )
        )
        if self.exact is not None:
            lookup.exact_key = request_hash(request)
        if self.embedder is not None and request.operation in SEMANTIC_OPERATIONS:
            lookup.group = params_hash(request, self.embedder.name)
        return lookup

    def _lookup(self, call: Call, lookup: _Lookup, span: Span | None) -> _Hit | None:
        """Exact first (a dictionary or one indexed SELECT), then semantic (an embedding)."""
        now = self.clock()
        if self.exact is not None and lookup.exact_key is not None:
            try:
                answer = self.exact.get(lookup.scope, lookup.exact_key, now)
            except ShipyardError as exc:
                _failed("exact lookup", exc, span)
                answer = None
            if answer is not None:
                return _Hit(answer, "exact")
        if self.semantic is not None and self.embedder is not None and lookup.group is not None:
            try:
                lookup.vector = self.embedder(call.request.prompt_text())
                found = self.semantic.search(lookup.scope, lookup.group, lookup.vector, now)
            except ShipyardError as exc:
                _failed("semantic lookup", exc, span)
                return None
            if found is not None:
                return _Hit(found.answer, "semantic", found.similarity)
        return None

    def _store(self, call: Call, lookup: _Lookup, response: LLMResponse) -> None:
        """Keep ``response`` if it ended normally; a failure here never fails the call."""
        if not storable(response):
            return
        now = self.clock()
        answer = CachedAnswer.from_response(response)
        prompt = call.request.prompt_text()
        rows: list[CacheRow] = []
        exact_row = None
        if self.exact is not None and lookup.exact_key is not None:
            exact_row = self.exact.row(lookup.scope, lookup.exact_key, answer, prompt, now)
            rows.append(exact_row)
        if self.semantic is not None and lookup.group is not None and lookup.vector is not None:
            rows.append(
                self.semantic.row(lookup.scope, lookup.group, lookup.vector, answer, prompt, now)
            )
        if not rows:
            return
        try:
            self.repo.insert(rows)
            if exact_row is not None and self.exact is not None:
                self.exact.remember(exact_row, answer)
            if local_state(self.repo).sweep_due():
                self.repo.delete_expired(now)
        except ShipyardError as exc:
            log.warning("could not store an answer in the LLM cache: %s", exc)


def _failed(what: str, exc: ShipyardError, span: Span | None) -> None:
    """A cache that cannot be read (store down, embedder failing) is a miss, noted on the span."""
    log.warning("LLM cache %s failed, treating it as a miss: %s", what, exc)
    if span is not None:
        span.add_event(
            "cache.error", {"error.type": type(exc).__name__, "shipyard.cache.step": what}
        )
