"""OTLP export: the same spans, sent to any OpenTelemetry collector over OTLP/HTTP.

Set ``tracing.otlp_endpoint`` in the gateway config or ``SHIPYARD_OTLP_ENDPOINT``
(``http://collector:4318``; ``/v1/traces`` is added when missing). Spans keep
their trace and span ids, parents, times, attributes and status, so a trace
in shipyard and in Jaeger, Tempo or Honeycomb is the same trace.

The OpenTelemetry SDK's ``BatchSpanProcessor`` does the sending on its own
thread, so a slow collector delays neither requests nor the store writes.
Needs the ``otel`` extra (``pip install 'shipyard[otel]'``), imported only when
an endpoint is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.store.trace_records import SpanRecord
from shipyard.tracing import genai

_CLIENT_KINDS = frozenset({genai.KIND_LLM, genai.KIND_ATTEMPT})
_SCALARS = (str, bool, int, float)


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a collector's base URL (or the URL itself)."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def otel_value(value: Any) -> Any:
    """An attribute value OpenTelemetry accepts: scalars, lists of one scalar type, else JSON."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list | tuple) and value:
        first = type(value[0])
        if first in _SCALARS and all(type(v) is first for v in value):
            return tuple(value)
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)


def otel_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: otel_value(v) for k, v in attributes.items() if v is not None}


def _version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shipyard")
    except PackageNotFoundError:
        return None


class OtlpExporter:
    """Sends finished spans to one collector, batched on the SDK's exporter thread."""

    def __init__(self, endpoint: str, *, schedule_delay_ms: float = 200) -> None:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            from opentelemetry.sdk.util.instrumentation import InstrumentationScope
        except ImportError as exc:
            raise InvalidInput(
                f"OTLP export to {endpoint} needs the OpenTelemetry SDK: "
                f"pip install 'shipyard[otel]' ({exc})"
            ) from None
        self.endpoint = traces_url(endpoint)
        self._processor = BatchSpanProcessor(
            OTLPSpanExporter(endpoint=self.endpoint, timeout=5),
            schedule_delay_millis=schedule_delay_ms,
        )
        self._resource = Resource.create(
            {"service.name": os.environ.get("OTEL_SERVICE_NAME") or "shipyard"}
        )
        self._scope = InstrumentationScope("shipyard", _version())

    def export(self, spans: Sequence[SpanRecord]) -> None:
        """Queue ``spans`` for sending (the processor drops them if its own queue is full)."""
        for s in spans:
            self._processor.on_end(self._readable(s))

    def flush(self, timeout: float) -> bool:
        return bool(self._processor.force_flush(int(timeout * 1000)))

    def shutdown(self) -> None:
        self._processor.shutdown()  # type: ignore[no-untyped-call]

    def _readable(self, s: SpanRecord) -> Any:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

        flags = TraceFlags(TraceFlags.SAMPLED)
        trace_id = int(s.trace_id, 16)
        context = SpanContext(trace_id, int(s.span_id, 16), is_remote=False, trace_flags=flags)
        parent = (
            SpanContext(trace_id, int(s.parent_id, 16), is_remote=False, trace_flags=flags)
            if s.parent_id
            else None
        )
        start_ns = s.start_us * 1000
        status = (
            Status(StatusCode.ERROR, s.error or "error")
            if s.status == "error"
            else Status(StatusCode.UNSET)
        )
        events = [
            Event(
                str(e.get("name", "event")),
                otel_attributes(e.get("attributes") or {}),
                timestamp=int(e.get("time_us", s.start_us)) * 1000,
            )
            for e in s.events
        ]
        return ReadableSpan(
            name=s.name,
            context=context,
            parent=parent,
            resource=self._resource,
            attributes={**otel_attributes(s.attributes), "shipyard.span_kind": s.kind},
            events=events,
            kind=SpanKind.CLIENT if s.kind in _CLIENT_KINDS else SpanKind.INTERNAL,
            status=status,
            start_time=start_ns,
            end_time=start_ns + int(s.duration_ms * 1_000_000),
            instrumentation_scope=self._scope,
        )
