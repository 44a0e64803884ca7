"""The limits stage: refuse a key over its rate or budget before the call, charge it after.

A call with no key (``auth.require_key`` off) or a key without limits passes
straight on, with no counter touched. Otherwise the request is counted and
checked (``Limiter.admit``); the tokens and cost of the answer are charged
when it is known: at once for a whole answer, when the stream ends for a
streamed one.

A cache hit (answered by a later stage) counts as a request but costs
nothing and uses no tokens: no provider did any work for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shipyard.core.clock import now_ms
from shipyard.core.errors import ShipyardError
from shipyard.llm.key_records import VirtualKey
from shipyard.llm.limits import Counters, KeyUsage, Limiter, has_limits, open_counters
from shipyard.llm.stages.base import Call, Next
from shipyard.llm.types import LLMResponse, Outcome, ResponseStream
from shipyard.tracing import span

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.workspace import Workspace

log = logging.getLogger(__name__)

REQUESTS_REMAINING = "shipyard.limits.requests_remaining"
TOKENS_REMAINING = "shipyard.limits.tokens_remaining"
BUDGET_REMAINING_USD = "shipyard.limits.budget_remaining_usd"
COUNTERS = "shipyard.limits.counters"


class LimitStage:
    """Rate limits and budgets of virtual keys, over SQL or Redis counters."""

    name = "limits"

    def __init__(
        self,
        config: GatewayConfig,
        workspace: Workspace,
        *,
        counters: Counters | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.config = config
        self.workspace = workspace
        self._counters = counters
        self._clock = clock
        self._limiter: Limiter | None = None

    @property
    def limiter(self) -> Limiter:
        """Opened on first use, so a gateway whose calls carry no keys never needs counters."""
        if self._limiter is None:
            counters = self._counters or open_counters(
                self.config, self.workspace, clock=self._clock
            )
            self._limiter = Limiter(counters, clock=self._clock)
        return self._limiter

    def handle(self, call: Call, next: Next) -> Outcome:
        key = call.key
        if key is None or not has_limits(key):
            return next(call)
        with span("limits", kind="stage", workspace=self.workspace) as s:
            s.set_attribute(COUNTERS, self.limiter.counters.name)
            usage = self.limiter.admit(key)
            s.set_attributes(_remaining(usage))
        outcome = next(call)
        if isinstance(outcome, ResponseStream):
            outcome.on_complete(lambda response: self._charge(key, response))
        else:
            self._charge(key, outcome)
        return outcome

    def _charge(self, key: VirtualKey, response: LLMResponse) -> None:
        if response.cache is not None:
            return  # a cache hit: counted as a request, free of tokens and cost
        tokens = response.usage.total_tokens
        cost = response.cost_usd
        if cost == 0 and tokens and key.budget_usd is not None:
            cost = self.config.prices.cost(response.model, response.usage)
        try:
            self.limiter.charge(key, tokens=tokens, cost_usd=cost)
        except ShipyardError as exc:
            # the answer is already paid for and on its way: do not fail it, say so
            log.warning("could not charge key %s for a call: %s", key.id, exc.message)

    def close(self) -> None:
        """The counters are shared (the store's, or one Redis client per URL): nothing to close."""


def _remaining(usage: KeyUsage) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if usage.rpm is not None and usage.requests_this_minute is not None:
        out[REQUESTS_REMAINING] = max(0, usage.rpm - usage.requests_this_minute)
    if usage.tpm is not None and usage.tokens_this_minute is not None:
        out[TOKENS_REMAINING] = max(0, usage.tpm - usage.tokens_this_minute)
    if usage.remaining_usd is not None:
        out[BUDGET_REMAINING_USD] = round(usage.remaining_usd, 6)
    return out
