"""Circuit breakers: stop sending requests to a target that keeps failing, then probe it.

A breaker is *closed* (requests pass) until ``failures`` consecutive attempts
fail; then it is *open* for ``cooldown_s`` and the router skips the target
without calling it. When the cooldown ends the breaker is *half-open*: exactly
one request (the probe) may pass; its success closes the breaker, its failure
opens it again for another cooldown. Concurrent requests that find the probe
already taken treat the target as open.

State lives per process (``BREAKERS``), keyed by target name and base URL, so
the Python API and the gateway in one process share what they learnt. The
breakers of *direct* targets (a ``provider/model`` name a caller sent, not a
configured one) are kept for the ``MAX_DIRECT`` most recently used names only:
each distinct name a client sends would otherwise add one for good.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any, Literal

from shipyard.core.clock import now_ms

BreakerStateName = Literal["closed", "open", "half-open"]
Clock = Callable[[], float]
"""Monotonic seconds; injected in tests to move time without sleeping."""
MAX_DIRECT = 1000
"""Breakers of direct (unconfigured) targets kept per process, least recently used dropped."""
Key = tuple[str, str | None]


@dataclass(frozen=True)
class BreakerSnapshot:
    """What the UI and metrics show of one breaker."""

    target: str
    base_url: str | None
    state: BreakerStateName
    failures: int
    """Consecutive failures so far (reset by a success)."""
    opened_until_ms: int | None
    """Epoch milliseconds when an open breaker lets a probe through; None when closed."""
    last_error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "base_url": self.base_url,
            "state": self.state,
            "failures": self.failures,
            "opened_until_ms": self.opened_until_ms,
            "last_error": self.last_error,
        }


class CircuitBreaker:
    """One target's breaker; every method is safe to call from several threads."""

    def __init__(
        self,
        failures: int = 5,
        cooldown_s: float = 30.0,
        *,
        clock: Clock = time.monotonic,
        target: str = "",
        base_url: str | None = None,
    ) -> None:
        if failures < 1:
            raise ValueError("a breaker needs failures >= 1")
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.target = target
        self.base_url = base_url
        self._clock = clock
        self._lock = Lock()
        self._failures = 0
        self._open_until: float | None = None
        """Monotonic time the cooldown ends; None while closed."""
        self._probing = False
        self._last_error: str | None = None

    @property
    def state(self) -> BreakerStateName:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerStateName:
        if self._open_until is None:
            return "closed"
        if self._clock() < self._open_until:
            return "open"
        return "half-open"

    def available(self) -> bool:
        """Whether a request could pass now, without claiming the half-open probe."""
        with self._lock:
            state = self._state()
            return state == "closed" or (state == "half-open" and not self._probing)

    def acquire(self) -> bool:
        """Claim the right to send one attempt; in half-open only the first caller gets it."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open" and not self._probing:
                self._probing = True
                return True
            return False

    def record_success(self) -> None:
        """The target answered: close the breaker and forget past failures."""
        with self._lock:
            self._failures = 0
            self._open_until = None
            self._probing = False

    def record_failure(self, error: str | None = None) -> None:
        """The target failed; open (or re-open) the breaker when the threshold is reached.

        A failed half-open probe re-opens at once, whatever the count.
        """
        with self._lock:
            self._failures += 1
            if error is not None:
                self._last_error = error[:300]
            if self._probing or self._failures >= self.threshold:
                self._open_until = self._clock() + self.cooldown_s
            self._probing = False

    def release(self) -> None:
        """Give back a claimed probe without a verdict (the attempt never reached the target)."""
        with self._lock:
            self._probing = False

    def retry_in_s(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        with self._lock:
            if self._open_until is None:
                return 0.0
            return max(0.0, self._open_until - self._clock())

    def snapshot(self) -> BreakerSnapshot:
        with self._lock:
            state = self._state()
            until = None
            if self._open_until is not None:
                until = now_ms() + int(max(0.0, self._open_until - self._clock()) * 1000)
            return BreakerSnapshot(
                target=self.target,
                base_url=_shown(self.base_url),
                state=state,
                failures=self._failures,
                opened_until_ms=until,
                last_error=self._last_error,
            )


class Breakers:
    """The breakers of one process (or of one test), created on first use."""

    def __init__(self, clock: Clock = time.monotonic, *, max_direct: int = MAX_DIRECT) -> None:
        self.clock = clock
        self.max_direct = max_direct
        self._lock = Lock()
        self._breakers: dict[Key, CircuitBreaker] = {}
        self._direct: OrderedDict[Key, None] = OrderedDict()
        """The keys of direct targets' breakers, least recently used first; the others stay."""

    def get(
        self,
        target: str,
        base_url: str | None,
        *,
        failures: int,
        cooldown_s: float,
        direct: bool = False,
    ) -> CircuitBreaker:
        """The breaker of ``target`` at ``base_url``; thresholds apply when it is first made.

        ``direct``: a name a caller sent rather than a configured target; its
        breaker may be dropped when more than ``max_direct`` such names are seen.
        """
        key = (target, base_url)
        found = self._breakers.get(key)
        if found is not None and key not in self._direct:  # a configured target's: kept
            return found
        with self._lock:
            found = self._breakers.get(key)
            if found is None:
                found = CircuitBreaker(
                    failures, cooldown_s, clock=self.clock, target=target, base_url=base_url
                )
                self._breakers[key] = found
                if direct:
                    self._direct[key] = None
                    while len(self._direct) > self.max_direct:
                        oldest, _ = self._direct.popitem(last=False)
                        del self._breakers[oldest]
            elif direct:
                if key in self._direct:
                    self._direct.move_to_end(key)
            else:
                self._direct.pop(key, None)  # now configured as well: kept from now on
            return found

    def snapshot(self) -> dict[str, BreakerSnapshot]:
        """Every breaker by ``target`` (``target@base_url`` when a base URL is set).

        Base URLs are shown without credentials (``safe_url``).
        """
        with self._lock:
            breakers = list(self._breakers.items())
        return {
            (name if url is None else f"{name}@{_shown(url)}"): b.snapshot()
            for (name, url), b in breakers
        }

    def reset(self) -> None:
        with self._lock:
            self._breakers.clear()
            self._direct.clear()


def _shown(url: str | None) -> str | None:
    """A base URL without the credentials it may carry (breaker states reach the UI)."""
    if url is None:
        return None
    from shipyard.llm.providers.http import safe_url  # httpx: only when a base URL is set

    return safe_url(url)


BREAKERS = Breakers()
"""The process-wide breakers every ``Router`` uses unless given its own."""


def breaker_states() -> dict[str, BreakerSnapshot]:
    """The process's breakers, for the UI and metrics."""
    return BREAKERS.snapshot()


def reset_breakers() -> None:
    """Forget every breaker of the process (tests; after fixing an upstream)."""
    BREAKERS.reset()
