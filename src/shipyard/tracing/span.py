"""Spans and the context that makes them nest.

A span is one timed piece of work; spans of one request share a trace id and
point at their parent. The span open "here" lives in a ``ContextVar``, so it
follows a request through function calls, into asyncio tasks, and into the
threads Starlette runs sync endpoints in; ``carry`` takes it into any other
worker thread.

Everything here runs on the request thread and must stay cheap (a few
microseconds a span): no I/O, no locks held for long. When the last open span
of a trace ends, the trace goes to the recorder's queue and a background thread
writes it.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from shipyard.core.settings import Settings
    from shipyard.workspace import Workspace

P = ParamSpec("P")
R = TypeVar("R")

# Ids must be unique, not secret: os.urandom costs up to ~100 µs a call on some VMs.
_rng = random.Random()
os.register_at_fork(after_in_child=_rng.seed)  # a forked worker must not repeat its parent's ids

_CURRENT: ContextVar[Span | None] = ContextVar("shipyard_span", default=None)
_SUPPRESSED: ContextVar[bool] = ContextVar("shipyard_tracing_off", default=False)
_REMOTE: ContextVar[tuple[str, str] | None] = ContextVar("shipyard_remote_parent", default=None)
"""A caller's (trace id, span id) from a ``traceparent`` header: new roots join that trace."""


def new_trace_id() -> str:
    """32 hex digits (W3C trace context size): the time in milliseconds, then 80 random bits.

    Time first, like a UUIDv7 or an AWS X-Ray trace id: the stores index traces,
    spans and calls by trace id, and ids that grow with time are appended to
    those B-trees instead of landing on random pages. With random ids each
    batch of traces rewrote pages all over three indexes: at 2,400 calls/s
    SQLite wrote 54 MB/s and the writer's CPU per trace doubled as the store
    grew to 100,000 traces (55 to 120 µs); time-ordered, it stays near 60 µs.
    80 random bits keep ids unique (W3C Trace Context level 2 asks for 56).
    """
    return f"{time.time_ns() // 1_000_000 & _MS_MASK:012x}{_rng.getrandbits(80) or 1:020x}"


_MS_MASK = (1 << 48) - 1


def new_span_id() -> str:
    """16 hex digits (W3C size), never all zeros."""
    return f"{_rng.getrandbits(64) or 1:016x}"


class TraceState:
    """What the spans of one trace share while it is open: where it goes, and who is still open."""

    __slots__ = (
        "_lock",
        "done",
        "open",
        "otlp_endpoint",
        "root",
        "settings",
        "spans",
        "trace_id",
        "workspace",
    )

    def __init__(self, trace_id: str) -> None:
        self.trace_id = trace_id
        self.root: Span | None = None
        self.spans: list[Span] = []
        self.open = 0
        self.done = False
        self.workspace: Workspace | None = None
        """Where the trace is stored; the first span that names one decides (default: current)."""
        self.otlp_endpoint: str | None = None
        self.settings: Settings | None = None
        """With no workspace: the settings in force when the trace ended, which name its store."""
        self._lock = threading.Lock()

    def _join(self) -> bool:
        """Count one more open span, unless the trace already ended (then it goes nowhere)."""
        with self._lock:
            if self.done:
                return False
            self.open += 1
            return True

    def release(self) -> None:
        """Let go of the spans once the trace is written (the recorder calls it).

        Each span points at its state and the state at its spans: a cycle, which
        only the cyclic collector frees. Broken here, reference counting frees a
        written trace at once, and the collector has twenty fewer objects a call
        to go through (the gateway's collections were mostly traces).
        """
        with self._lock:
            self.spans = []
            self.root = None

    def _closed(self, span: Span) -> bool:
        """Add the ended ``span``; True when it was the trace's last open span."""
        with self._lock:
            self.open -= 1
            if self.done:
                return False  # a span that outlived its recorded trace: nowhere to put it
            self.spans.append(span)
            if self.open == 0:
                self.done = True
                return True
            return False


class Span:
    """One timed piece of work: a name, a kind, attributes, events, and how it ended."""

    __slots__ = (
        "_t0",
        "attributes",
        "duration_ms",
        "error",
        "events",
        "kind",
        "name",
        "parent_id",
        "span_id",
        "start_us",
        "state",
        "status",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        state: TraceState,
        parent_id: str | None,
        attributes: Mapping[str, Any] | None = None,
        joined: bool = False,
    ) -> None:
        """``joined``: the caller already counted this span in ``state`` (``TraceState._join``)."""
        self.name = name
        self.kind = kind
        self.state = state
        self.span_id = new_span_id()
        self.parent_id = parent_id
        self.attributes: dict[str, Any] = {}
        if attributes:
            self.set_attributes(attributes)
        self.events: list[dict[str, Any]] = []
        self.status = "ok"
        self.error: str | None = None
        self.duration_ms: float | None = None
        self.start_us = time.time_ns() // 1000
        self._t0 = time.perf_counter_ns()
        if not joined:
            with state._lock:
                state.open += 1

    @property
    def trace_id(self) -> str:
        return self.state.trace_id

    @property
    def ended(self) -> bool:
        return self.duration_ms is not None

    @property
    def elapsed_ms(self) -> float:
        """Time since the span started (its duration once ended)."""
        if self.duration_ms is not None:
            return self.duration_ms
        return (time.perf_counter_ns() - self._t0) / 1e6

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute; ``None`` removes it (OpenTelemetry drops ``None`` values too)."""
        if value is None:
            self.attributes.pop(key, None)
        else:
            self.attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        mine = self.attributes
        for key, value in attributes.items():  # set_attribute's rule, inline (dozens a call)
            if value is None:
                mine.pop(key, None)
            else:
                mine[key] = value

    def add_event(self, name: str, attributes: Mapping[str, Any] | None = None) -> None:
        """Something that happened at one instant during the span (a retry, a cache miss)."""
        event: dict[str, Any] = {"name": name, "time_us": time.time_ns() // 1000}
        if attributes:
            event["attributes"] = dict(attributes)
        self.events.append(event)

    def record_error(self, exc: BaseException) -> None:
        """Mark the span failed by ``exc`` (type and message), as an OTel ``exception`` event too."""
        self.status = "error"
        self.error = describe(exc)
        self.add_event(
            "exception",
            {"exception.type": type(exc).__name__, "exception.message": str(exc)},
        )

    def end(self, error: BaseException | None = None) -> None:
        """End the span (once; later calls do nothing). The last span to end sends the trace off."""
        if self.duration_ms is not None:
            return
        self.duration_ms = (time.perf_counter_ns() - self._t0) / 1e6
        if error is not None:
            self.record_error(error)
        if self.state._closed(self):
            from shipyard.tracing.recorder import submit

            submit(self.state)

    def __enter__(self) -> Span:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.end(exc)

    def __repr__(self) -> str:
        return f"Span({self.name!r}, kind={self.kind!r}, trace={self.trace_id}, id={self.span_id})"


def describe(exc: BaseException) -> str:
    """``Type: message``, what a span's ``error`` says about an exception."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def current_span() -> Span | None:
    """The span open in this context, or ``None`` outside any span."""
    return _CURRENT.get()


def current_trace_id() -> str | None:
    """The id of the trace this code runs in, or ``None`` outside any span."""
    s = _CURRENT.get()
    return s.trace_id if s is not None else None


def start_span(
    name: str,
    *,
    kind: str = "internal",
    attributes: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
    parent: Span | None = None,
    otlp_endpoint: str | None = None,
) -> Span:
    """Start a span without making it current; ``end()`` it yourself.

    For work whose end is not the end of a block (a streamed answer). The
    parent is ``parent``, else the current span; with neither, a new trace.
    """
    parent = parent if parent is not None else _CURRENT.get()
    if _SUPPRESSED.get():
        state = TraceState(_NOT_RECORDED)
        state.done = True  # its spans work as usual but are never recorded
        return Span(name, kind, state, None, attributes)
    # Joining checks ``done`` and counts the span under the trace's lock: a span started in
    # another thread just as the trace's last span ends must not attach to a recorded trace.
    if parent is not None and parent.state._join():
        state = parent.state
        s = Span(name, kind, state, parent.span_id, attributes, joined=True)
    else:
        remote = _REMOTE.get()
        state = TraceState(remote[0] if remote else new_trace_id())
        s = Span(name, kind, state, remote[1] if remote else None, attributes)
        state.root = s
    if workspace is not None and state.workspace is None:
        state.workspace = workspace
    if otlp_endpoint and state.otlp_endpoint is None:
        state.otlp_endpoint = otlp_endpoint
    return s


_NOT_RECORDED = "0" * 32


@contextmanager
def no_tracing() -> Iterator[None]:
    """Inside the block spans are not recorded (the request path with ``tracing.enabled: false``)."""
    token = _SUPPRESSED.set(True)
    try:
        yield
    finally:
        _SUPPRESSED.reset(token)


class use_span:  # lowercase: a function to callers; a class skips a generator's cost
    """Make ``s`` the current span inside the block (it does not end it)."""

    __slots__ = ("_span", "_token")

    def __init__(self, s: Span | None) -> None:
        self._span = s

    def __enter__(self) -> Span | None:
        self._token = _CURRENT.set(self._span)
        return self._span

    def __exit__(self, *exc: object) -> None:
        restore(self._token)


def restore(token: Token[Span | None]) -> None:
    """Put back the span that was current before ``token``'s ``set``.

    A block left in another context than it was entered in (a generator resumed
    elsewhere) cannot reset; that other context is not ours to change.
    """
    # not contextlib.suppress: that is an object per call, on every span's exit
    try:  # noqa: SIM105
        _CURRENT.reset(token)
    except ValueError:
        pass


def carry(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` bound to the current span, to run in another thread as its child.

    ``pool.submit(carry(work), item)``: spans ``work`` opens nest under the span
    open where ``carry`` was called. Starlette's threadpool and
    ``asyncio.to_thread`` copy the context themselves and need no ``carry``.
    """
    parent = _CURRENT.get()

    def bound(*args: P.args, **kwargs: P.kwargs) -> R:
        with use_span(parent):
            return fn(*args, **kwargs)

    return bound
