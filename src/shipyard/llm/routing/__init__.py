"""Routing: which target answers a request, with retries, fallback and circuit breakers.

``Router`` is what the ``route`` stage runs; ``breaker_states()`` is what the
UI and metrics show of the process's circuit breakers.
"""

from __future__ import annotations

from shipyard.llm.routing.breaker import (
    BREAKERS,
    Breakers,
    BreakerSnapshot,
    CircuitBreaker,
    breaker_states,
    reset_breakers,
)
from shipyard.llm.routing.outcome import CircuitOpen
from shipyard.llm.routing.router import Router

__all__ = [
    "BREAKERS",
    "BreakerSnapshot",
    "Breakers",
    "CircuitBreaker",
    "CircuitOpen",
    "Router",
    "breaker_states",
    "reset_breakers",
]
