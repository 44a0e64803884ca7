"""A scripted provider and a router factory for the routing logic tests.

The scripted provider is a real ``Provider`` whose answers are a list the
test writes: an exception to raise, a response to return, or a list of chunks
(and exceptions) to stream. It records every call so tests can assert which
target was or was not called.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shipyard.core.errors import ProviderError
from shipyard.llm.config import GatewayConfig
from shipyard.llm.routing import Breakers, Router
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Usage

Step = BaseException | LLMResponse | list[Any]


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Scripted:
    """A provider that answers from a script; ``answer`` when the script has run out."""

    name = "scripted"

    def __init__(
        self,
        script: list[Step] | None = None,
        *,
        answer: str = "ok",
        capabilities: frozenset[str] = frozenset({"chat", "completion", "embedding", "stream"}),
        usage: Usage | None = None,
    ) -> None:
        self.script = list(script or [])
        self.answer = answer
        self.capabilities = capabilities
        self.usage = Usage(10, 5) if usage is None else usage
        self.calls: list[dict[str, Any]] = []

    def _next(self, request: LLMRequest, model: str, timeout: float, kind: str) -> Step:
        self.calls.append({"model": model, "timeout": timeout, "kind": kind, "request": request})
        if self.script:
            return self.script.pop(0)
        if kind == "stream":
            return [Chunk(text=self.answer), Chunk(finish_reason="stop", usage=self.usage)]
        return LLMResponse(model=model, text=self.answer, usage=self.usage, id="r1")

    def call(self, request: LLMRequest, model: str, *, timeout: float) -> LLMResponse:
        step = self._next(request, model, timeout, "call")
        if isinstance(step, BaseException):
            raise step
        assert isinstance(step, LLMResponse)
        return step

    def stream(self, request: LLMRequest, model: str, *, timeout: float) -> Iterator[Chunk]:
        step = self._next(request, model, timeout, "stream")

        def chunks() -> Iterator[Chunk]:
            if isinstance(step, BaseException):
                raise step
            assert isinstance(step, list)
            for item in step:
                if isinstance(item, BaseException):
                    raise item
                yield item

        return chunks()

    def count_tokens(self, model: str, text: str) -> int | None:
        return None


def failure(status: int | None = 503, **kw: Any) -> ProviderError:
    """A ``ProviderError`` shaped like the HTTP providers raise for ``status``."""
    retryable = status is None or status in (408, 409, 429) or status >= 500
    retryable = kw.pop("retryable", retryable)
    err = ProviderError(
        f"upstream answered HTTP {status}",
        provider="openai",
        retryable=retryable,
        upstream_status=status,
        status=status if status is not None and 400 <= status < 500 else 502,
    )
    for key, value in kw.items():
        setattr(err, key, value)
    return err


def route_config(*targets: dict[str, Any], **routing: Any) -> GatewayConfig:
    """A config whose alias ``fast`` has ``targets``; quick routing defaults for tests."""
    settings = {
        "retries": 2,
        "backoff_s": 0.1,
        "backoff_max_s": 2.0,
        "breaker_failures": 5,
        "breaker_cooldown_s": 30.0,
    }
    settings.update(routing)
    prices = settings.pop("prices", {})
    return GatewayConfig.from_dict(
        {"models": {"fast": {"targets": list(targets)}}, "routing": settings, "prices": prices}
    )


class Harness:
    """A router over scripted providers, a fake clock, recorded sleeps and a seeded RNG."""

    def __init__(self, config: GatewayConfig, providers: dict[str, Scripted], seed: int = 7):
        self.clock = FakeClock()
        self.sleeps: list[float] = []
        self.breakers = Breakers(clock=self.clock)
        self.providers = providers
        self.router = Router(
            config,
            providers=providers,
            breakers=self.breakers,
            rng=random.Random(seed),
            sleep=self.sleeps.append,
        )
        self.attributes: dict[str, Any] = {}

    def chat(self, model: str = "fast", **kw: Any) -> Any:
        self.attributes = {}
        request = LLMRequest.chat(model, [{"role": "user", "content": "hello there"}], **kw)
        return self.router.route(request, self.attributes)


@pytest.fixture
def harness() -> Callable[..., Harness]:
    """``harness(config, {"openai/a": Scripted(...)})``."""
    return Harness


@pytest.fixture
def scripted() -> type[Scripted]:
    return Scripted


@pytest.fixture
def fail() -> Callable[..., ProviderError]:
    return failure


@pytest.fixture
def config() -> Callable[..., GatewayConfig]:
    return route_config
