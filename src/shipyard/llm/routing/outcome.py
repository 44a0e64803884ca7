"""The error a caller gets when no target of a route could answer.

One target that failed: its own error, so a single-provider setup sees the
provider's message, status and ``Retry-After`` unchanged. Several: one
``ProviderError`` listing what each target said. Every breaker open:
``CircuitOpen`` (503) with when to come back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from shipyard.core.errors import InvalidInput, ProviderError, ShipyardError
from shipyard.llm.config import ModelRoute, TargetConfig
from shipyard.llm.routing.breaker import CircuitBreaker


class CircuitOpen(ProviderError):
    """Raised when every target of a route has an open circuit breaker; says when to retry."""

    status = 503
    headline = "Circuit open"

    def __init__(self, message: str, *, provider: str = "", retry_after_s: float) -> None:
        super().__init__(
            message, provider=provider, retryable=True, status=503, retry_after_s=retry_after_s
        )


def exhausted(
    route: ModelRoute,
    failures: Mapping[Any, tuple[TargetConfig, BaseException]],
    skipped: Sequence[tuple[TargetConfig, ShipyardError]],
    open_: Sequence[tuple[TargetConfig, CircuitBreaker]],
) -> BaseException:
    """The exception to raise after every target was tried, skipped or found open."""
    failed = list(failures.values())
    if not failed and not skipped and open_:
        return _all_open(route, open_)
    if len(failed) + len(skipped) + len(open_) == 1:
        if failed:
            return failed[0][1]
        return skipped[0][1]
    parts = [f"{t.name}: {_message(exc)}" for t, exc in failed]
    parts += [f"{t.name}: skipped, {exc.message}" for t, exc in skipped]
    parts += [f"{t.name}: skipped, {_open_text(b)}" for t, b in open_]
    text = f"no target of {route.name!r} could answer: " + "; ".join(parts)
    if not failed and not open_:
        return InvalidInput(text)
    if not failed:
        wait = min(b.retry_in_s() for _, b in open_)
        return CircuitOpen(text, provider=open_[0][0].provider, retry_after_s=wait)
    last_target, last = failed[-1]
    status = last.status if isinstance(last, ShipyardError) and last.status >= 500 else 502
    return ProviderError(
        text,
        provider=last_target.provider,
        retryable=any(isinstance(e, ProviderError) and e.retryable for _, e in failed),
        upstream_status=getattr(last, "upstream_status", None),
        status=int(status),
    )


def _all_open(
    route: ModelRoute, open_: Sequence[tuple[TargetConfig, CircuitBreaker]]
) -> CircuitOpen:
    wait = min(b.retry_in_s() for _, b in open_)
    states = "; ".join(f"{t.name} {_open_text(b)}" for t, b in open_)
    what = "the target" if len(open_) == 1 else "every target"
    return CircuitOpen(
        f"{what} of {route.name!r} is failing, so it is not called for now: {states}. "
        f"Retry in {math.ceil(wait)} s, or add a fallback target to the route",
        provider=open_[0][0].provider,
        retry_after_s=wait,
    )


def _open_text(breaker: CircuitBreaker) -> str:
    snap = breaker.snapshot()
    until = time.strftime("%H:%M:%S", time.gmtime((snap.opened_until_ms or 0) / 1000))
    text = f"circuit open until {until} UTC after {snap.failures} consecutive failures"
    if snap.last_error:
        text += f" (last: {snap.last_error[:200]})"
    return text


def _message(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, ShipyardError) else f"{type(exc).__name__}: {exc}"
    return text[:300]
