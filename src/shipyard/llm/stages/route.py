"""The last stage: hand the call to the router, which picks a target and gets the answer.

It never calls ``next``. The routing outcome (target, attempts, whether it
fell back, whether the price is known) goes into ``call.attributes`` for the
trace stage to put on the call's span.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from shipyard.llm.routing import Breakers, BreakerSnapshot, Router
from shipyard.llm.stages.base import Call, Next
from shipyard.llm.types import Outcome

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.llm.providers.base import Provider
    from shipyard.workspace import Workspace


class RouteStage:
    """Routes each call through ``Router``; the keyword arguments exist for tests."""

    name = "route"

    def __init__(
        self,
        config: GatewayConfig,
        workspace: Workspace | None = None,
        *,
        providers: Mapping[str, Provider] | None = None,
        breakers: Breakers | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.router = Router(config, providers=providers, breakers=breakers, rng=rng, sleep=sleep)

    def handle(self, call: Call, next: Next) -> Outcome:
        return self.router.route(call.request, call.attributes)

    def breaker_states(self) -> dict[str, BreakerSnapshot]:
        """The circuit breakers' states, for the UI and metrics."""
        return self.router.breaker_states()
