"""The span of one attempt at one target, and what it records.

Each try the router makes is a span of kind ``attempt`` under the call's
``llm`` span, so a trace shows every retry and fallback with its target,
status, upstream status and latency. For a stream the span covers opening it
and the first chunk (time to first token); the rest of the stream belongs to
the call.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from shipyard.llm.config import TargetConfig
from shipyard.llm.routing.classify import error_type, upstream_status
from shipyard.tracing import Span, current_span, genai, span

STATUS = "shipyard.status"
"""``ok`` or ``error``."""
SKIPPED_EVENT = "shipyard.target_skipped"
"""An event on the call's span for a target not tried (breaker open, no capability, no key)."""
UPSTREAM_STATUS = "http.response.status_code"
LATENCY_MS = "shipyard.latency_ms"
TTFT_MS = "shipyard.ttft_ms"
SERVER_PORT = "server.port"


class _Untraced:
    """The span of an attempt made outside any trace (tracing off, the router used alone)."""

    def set_attribute(self, key: str, value: Any) -> None:
        return None

    def record_error(self, exc: BaseException) -> None:
        return None


class Attempt:
    """One try: open with ``Attempt.run(n, target)``, then ``ok()`` or ``failed(exc)``."""

    def __init__(self, span: Span | _Untraced, number: int, target: TargetConfig) -> None:
        self.span = span
        self.number = number
        self.target = target
        self.started = time.perf_counter()

    @classmethod
    @contextlib.contextmanager
    def run(cls, number: int, target: TargetConfig) -> Iterator[Attempt]:
        if current_span() is None:  # no call span: do not start a trace of its own
            yield cls(_Untraced(), number, target)
            return
        attributes = target_attributes(target)
        attributes[genai.ATTEMPT] = number
        name = f"attempt {number} {target.name}"
        with span(name, kind=genai.KIND_ATTEMPT, attributes=attributes) as s:
            yield cls(s, number, target)

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def ok(self, *, first_chunk: bool = False) -> None:
        self.span.set_attribute(STATUS, "ok")
        self.span.set_attribute(LATENCY_MS, round(self.elapsed_ms, 3))
        if first_chunk:
            self.span.set_attribute(TTFT_MS, round(self.elapsed_ms, 3))

    def failed(self, exc: BaseException) -> None:
        self.span.set_attribute(STATUS, "error")
        self.span.set_attribute(LATENCY_MS, round(self.elapsed_ms, 3))
        self.span.set_attribute(genai.ERROR_TYPE, error_type(exc))
        status = upstream_status(exc)
        if status is not None:
            self.span.set_attribute(UPSTREAM_STATUS, status)
        self.span.record_error(exc)


def target_attributes(target: TargetConfig) -> dict[str, Any]:
    """What every attempt span says about its target (never its key or headers)."""
    attrs: dict[str, Any] = {
        genai.TARGET: target.name,
        genai.PROVIDER_NAME: target.provider,
        genai.REQUEST_MODEL: target.model,
    }
    if target.base_url:
        host, port = _server(target.base_url)
        if host:
            attrs[genai.SERVER_ADDRESS] = host
        if port:
            attrs[SERVER_PORT] = port
    return attrs


@functools.lru_cache(maxsize=256)
def _server(base_url: str) -> tuple[str | None, int | None]:
    """Host and port of a target's URL, parsed once (every attempt span names them)."""
    parts = urlsplit(base_url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.hostname, port


def note_skipped(target: TargetConfig, reason: str) -> None:
    """Say on the call's span that ``target`` was not tried, and why."""
    parent = current_span()
    if parent is not None:
        parent.add_event(SKIPPED_EVENT, {genai.TARGET: target.name, "reason": reason[:300]})
