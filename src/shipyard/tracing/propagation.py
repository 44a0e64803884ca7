"""W3C trace context: one trace across processes that call each other over HTTP.

An app that runs ``with sy.trace("rag-answer"):`` and calls a gateway over
HTTP sends the ``traceparent`` of its current span; the gateway opens its
request's spans inside ``remote_parent(header)``, so its ``llm`` span joins the
caller's trace (same trace id, parent = the caller's span) instead of starting
a second one. When both sides record into the same store the two halves are
merged into one trace there (see ``SqlTraces.record``).

    traceparent: 00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>
"""

from __future__ import annotations

import re

from shipyard.tracing.span import _CURRENT, _NOT_RECORDED, _REMOTE

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")


def parse_traceparent(header: str | None) -> tuple[str, str] | None:
    """``(trace_id, parent_span_id)`` of a valid ``traceparent`` header, else ``None``.

    Invalid headers are ignored, as the W3C spec says: version ``ff``, all-zero
    ids, wrong sizes, upper-case hex, or version 00 with trailing data.
    """
    if not header:
        return None
    found = _TRACEPARENT.match(header.strip())
    if found is None:
        return None
    version, trace_id, span_id, _flags, rest = found.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    if trace_id == "0" * 32 or span_id == "0" * 16:
        return None
    return trace_id, span_id


class remote_parent:  # lowercase: a function to callers; a class skips a generator's cost
    """Spans that start a new trace inside the block join the caller's trace instead.

    ``traceparent`` is the incoming header (``None`` or an invalid value: no
    effect). A root span opened here takes the caller's trace id and points at
    the caller's span as its parent; spans under an already open span are not
    affected. ``with remote_parent(header) as parsed:`` gives the (trace id,
    span id) it parsed, or ``None``.
    """

    __slots__ = ("_parsed", "_token")

    def __init__(self, traceparent: str | None) -> None:
        self._parsed = parse_traceparent(traceparent)

    def __enter__(self) -> tuple[str, str] | None:
        self._token = _REMOTE.set(self._parsed)
        return self._parsed

    def __exit__(self, *exc: object) -> None:
        _REMOTE.reset(self._token)


def traceparent() -> str | None:
    """The ``traceparent`` header of the current span, to send on an outgoing request."""
    s = _CURRENT.get()
    if s is None or s.trace_id == _NOT_RECORDED:
        return None
    return f"00-{s.trace_id}-{s.span_id}-01"


def trace_headers() -> dict[str, str]:
    """``{"traceparent": ...}`` for the current span, or ``{}`` outside any span."""
    value = traceparent()
    return {"traceparent": value} if value else {}
