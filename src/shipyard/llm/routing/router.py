"""The router: send a request to its route's targets with retries, fallback and circuit breakers.

The rules, in order (docs/llm-routing.md has the long version):

1. Order: the first target is picked at random by weight among the targets
   whose breaker lets a request through; the others follow in config order.
2. Each target gets up to ``1 + routing.retries`` attempts on retryable
   errors (429, 5xx, timeouts, connection errors), with exponential backoff
   and jitter between them, or the provider's ``Retry-After`` when it is at
   most ``routing.backoff_max_s`` (a longer one moves on to the next target).
3. 401/403/404 and failures without a status are the target's problem: no
   retry, fall back to the next target. A 400-class error is the caller's
   problem: returned at once, no retry, no fallback.
4. A target whose breaker is open is skipped without being called; when every
   target's breaker is open the call fails at once with ``CircuitOpen``
   (503) saying when the first one will let a probe through.
5. A stream is retried and falls back only until its first chunk; an error
   after that reaches the stream's consumer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shipyard.core.errors import InvalidInput, ProviderError, ShipyardError
from shipyard.llm.config import GatewayConfig, ModelRoute, TargetConfig
from shipyard.llm.providers.base import Provider, get_provider
from shipyard.llm.routing.accounting import settle
from shipyard.llm.routing.attempt import Attempt, note_skipped
from shipyard.llm.routing.backoff import backoff_delay
from shipyard.llm.routing.breaker import BREAKERS, Breakers, BreakerSnapshot, CircuitBreaker
from shipyard.llm.routing.classify import classify, retry_after_s
from shipyard.llm.routing.order import attempt_order
from shipyard.llm.routing.outcome import CircuitOpen, exhausted
from shipyard.llm.routing.streaming import open_stream, routed_stream
from shipyard.llm.types import LLMRequest, LLMResponse, Outcome
from shipyard.tracing import genai

T = TypeVar("T")
FALLBACK = "shipyard.fallback"
PRICE_KNOWN = "shipyard.price_known"
SKIPPED = "shipyard.skipped"

__all__ = ["CircuitOpen", "Router"]


@dataclass
class _Tries:
    """What happened to each target so far: the last error of each, and the skipped ones."""

    attempts: int = 0
    failures: dict[tuple[str, str | None], tuple[TargetConfig, BaseException]] = field(
        default_factory=dict
    )
    skipped: list[tuple[TargetConfig, ShipyardError]] = field(default_factory=list)
    open: list[tuple[TargetConfig, CircuitBreaker]] = field(default_factory=list)


class Router:
    """Routes requests for one gateway config; its breakers are the process's unless given."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        providers: Mapping[str, Provider] | None = None,
        breakers: Breakers | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``providers`` overrides provider lookup by target name or provider name (tests)."""
        self.config = config
        self.providers = dict(providers or {})
        self.breakers = breakers if breakers is not None else BREAKERS
        self.rng = rng or random.Random()
        self.sleep = sleep
        self._resolved: dict[object, Provider] = {}
        """Providers of the config's targets (by id) and of bare ``provider/model`` names (by
        provider), resolved once: ``get_provider`` serialises the host config on every lookup."""
        self._configured = {id(t) for r in config.models.values() for t in r.targets}

    def route(self, request: LLMRequest, attributes: dict[str, Any] | None = None) -> Outcome:
        """Answer ``request`` from its route; ``attributes`` receives the routing outcome."""
        attrs = attributes if attributes is not None else {}
        started = time.perf_counter()
        self.config.check_model(request.model)
        route = self.config.route_for(request.model)
        if request.stream:
            (first, rest), target, tries = self._run(route, request, open_stream, attrs)
            breaker = self._breaker(target)
            return routed_stream(
                first,
                rest,
                request=request,
                target=target,
                attempts=tries.attempts,
                prices=self.config.prices,
                started=started,
                attributes=attrs,
                on_failure=lambda exc: _record(breaker, exc),
            )
        response, target, tries = self._run(route, request, _call, attrs)
        usage, cost = settle(response, request, target, self.config.prices)
        done = response.evolve(
            model=target.name,
            usage=usage,
            cost_usd=cost,
            provider=target.provider,
            attempts=tries.attempts,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        attrs[genai.USAGE_ESTIMATED] = done.usage.estimated
        return done

    def breaker_states(self) -> dict[str, BreakerSnapshot]:
        """Every breaker this router's process (or test) knows, by ``target[@base_url]``."""
        return self.breakers.snapshot()

    def _breaker(self, target: TargetConfig) -> CircuitBreaker:
        r = self.config.routing
        return self.breakers.get(
            target.name,
            target.base_url,
            failures=r.breaker_failures,
            cooldown_s=r.breaker_cooldown_s,
            direct=id(target) not in self._configured,
        )

    def _provider(self, target: TargetConfig, request: LLMRequest) -> Provider:
        """The provider for ``target``; ``InvalidInput`` when it cannot serve this request."""
        provider = self.providers.get(target.name) or self.providers.get(target.provider)
        if provider is None:
            key = _cache_key(target, self._configured)
            provider = self._resolved.get(key) if key is not None else None
            if provider is None:
                provider = get_provider(target.provider, target.provider_config())
                if key is not None:
                    self._resolved[key] = provider
        if request.operation not in provider.capabilities:
            can = ", ".join(sorted(provider.capabilities)) or "nothing"
            raise InvalidInput(
                f"{target.name} cannot serve {request.operation} requests "
                f"(the {target.provider} provider does: {can})"
            )
        return provider

    def _run(
        self,
        route: ModelRoute,
        request: LLMRequest,
        do: Callable[[Provider, LLMRequest, TargetConfig, float], T],
        attrs: dict[str, Any],
    ) -> tuple[T, TargetConfig, _Tries]:
        targets = route.targets
        breakers = {_key(t): self._breaker(t) for t in targets}
        order = attempt_order(targets, [breakers[_key(t)].available() for t in targets], self.rng)
        tries = _Tries()
        try:
            for target in order:
                breaker = breakers[_key(target)]
                found = self._try_target(target, breaker, request, do, tries)
                if found is not None:
                    attrs[FALLBACK] = target is not order[0]
                    attrs[genai.TARGET] = target.name
                    attrs[PRICE_KNOWN] = self.config.prices.price_of(target.name) is not None
                    return found[0], target, tries
            raise exhausted(route, tries.failures, tries.skipped, tries.open)
        finally:
            attrs[genai.ATTEMPTS] = tries.attempts
            skipped = [f"{t.name} (circuit open)" for t, _ in tries.open]
            skipped += [f"{t.name} ({exc.message})" for t, exc in tries.skipped]
            if skipped:
                attrs[SKIPPED] = "; ".join(skipped)

    def _try_target(
        self,
        target: TargetConfig,
        breaker: CircuitBreaker,
        request: LLMRequest,
        do: Callable[[Provider, LLMRequest, TargetConfig, float], T],
        tries: _Tries,
    ) -> tuple[T] | None:
        """Up to ``1 + retries`` attempts at one target; the answer, or None to fall back."""
        routing = self.config.routing
        try:
            provider = self._provider(target, request)
        except ShipyardError as exc:  # a missing API key, an operation it cannot do
            tries.skipped.append((target, exc))
            note_skipped(target, exc.message)
            return None
        timeout = target.timeout_s if target.timeout_s is not None else routing.timeout_s
        for retry in range(routing.retries + 1):
            if not breaker.acquire():
                if retry == 0:
                    tries.open.append((target, breaker))
                    note_skipped(target, "circuit open")
                return None
            tries.attempts += 1
            with Attempt.run(tries.attempts, target) as attempt:
                try:
                    result = do(provider, request, target, timeout)
                except Exception as exc:
                    attempt.failed(exc)
                    error: Exception = exc
                except BaseException:  # interrupted: no verdict on the target
                    breaker.release()
                    raise
                else:
                    attempt.ok(first_chunk=request.stream)
                    breaker.record_success()
                    return (result,)
            kind = classify(error)
            if kind == "caller":
                breaker.record_success()  # the target answered; the request was wrong
                raise _as_caller_error(error)
            breaker.record_failure(_short(error))
            tries.failures[_key(target)] = (target, error)
            if kind == "fallback" or retry == routing.retries:
                return None
            delay = backoff_delay(
                retry + 1,
                base_s=routing.backoff_s,
                max_s=routing.backoff_max_s,
                rng=self.rng,
                retry_after_s=retry_after_s(error),
            )
            if delay is None:  # Retry-After longer than we are willing to wait here
                return None
            if delay > 0:
                self.sleep(delay)
        return None


def _cache_key(target: TargetConfig, configured: set[int]) -> object:
    """How a target's provider is cached: by id for the config's own targets, which live as
    long as the router; by provider for a bare name with no host settings; else not at all."""
    if id(target) in configured:
        return id(target)
    if not (target.base_url or target.api_key_env or target.headers or target.options):
        return ("direct", target.provider)
    return None


def _key(target: TargetConfig) -> tuple[str, str | None]:
    return (target.name, target.base_url)


def _call(
    provider: Provider, request: LLMRequest, target: TargetConfig, timeout: float
) -> LLMResponse:
    return provider.call(request, target.model, timeout=timeout)


def _record(breaker: CircuitBreaker, exc: BaseException) -> None:
    """A stream failed after its first chunk: count it against the target unless it was the caller's."""
    if classify(exc) != "caller":
        breaker.record_failure(_short(exc))


def _short(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, ShipyardError) else f"{type(exc).__name__}: {exc}"
    return text[:300]


def _as_caller_error(exc: Exception) -> Exception:
    """A caller's mistake answered with a 4xx status, whatever default the provider left."""
    status = exc.upstream_status if isinstance(exc, ProviderError) else None
    if isinstance(exc, ProviderError) and status and 400 <= status < 500 and exc.status >= 500:
        exc.status = status  # type: ignore[misc]
    return exc
