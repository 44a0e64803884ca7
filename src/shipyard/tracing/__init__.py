"""Tracing: spans that nest through a request, recorded in the background, optionally exported.

    from shipyard.tracing import span, current_span, flush_traces

    with span("auth", kind="stage") as s:       # child of the current span, or a new trace
        s.set_attribute("shipyard.key_id", key_id)

``sy.trace`` is the same thing for user code. Attribute names are in
``shipyard.tracing.genai``; see docs/tracing.md.
"""

from shipyard.tracing.context import SpanScope, span, trace
from shipyard.tracing.propagation import (
    parse_traceparent,
    remote_parent,
    trace_headers,
    traceparent,
)
from shipyard.tracing.recorder import flush_traces
from shipyard.tracing.span import (
    Span,
    carry,
    current_span,
    current_trace_id,
    no_tracing,
    start_span,
    use_span,
)

__all__ = [
    "Span",
    "SpanScope",
    "carry",
    "current_span",
    "current_trace_id",
    "flush_traces",
    "no_tracing",
    "parse_traceparent",
    "remote_parent",
    "span",
    "start_span",
    "trace",
    "trace_headers",
    "traceparent",
    "use_span",
]
