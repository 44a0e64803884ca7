"""A finished trace turned into rows: the trace with its totals, its spans, its LLM calls.

Totals and calls come from the spans of kind ``llm`` (one per call through the
request path) and their GenAI attributes, so whatever opened the root — the
gateway's own llm span or a user's ``sy.trace`` block around several calls —
the numbers add up the same way. Runs on the recorder's thread, not the
request's.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from shipyard.store.trace_records import LLMCallRecord, SpanRecord, TraceRecord
from shipyard.tracing import genai
from shipyard.tracing.span import Span, TraceState

Rows = tuple[TraceRecord, list[SpanRecord], list[LLMCallRecord]]
_start = attrgetter("start_us")


def build_records(state: TraceState) -> Rows:
    """The rows of one finished trace (its spans in start order).

    Runs once per traced call on the writer thread, which shares the GIL with
    the requests being served: one pass over the spans, no copies (an ended
    span's attributes and events are not changed again).
    """
    spans = sorted(state.spans, key=_start)
    span_rows = [span_record(s) for s in spans]
    root_id = _root_id(state)
    root = span_rows[0]
    start_us = root.start_us
    end_us = 0.0
    llm: list[SpanRecord] = []
    for s in span_rows:
        if s.span_id == root_id:
            root = s
        end = s.start_us + s.duration_ms * 1000
        end_us = max(end_us, end)
        if s.kind == genai.KIND_LLM:
            llm.append(s)
    calls = [call_record(s) for s in llm]
    trace = TraceRecord(
        trace_id=state.trace_id,
        name=root.name,
        started_at=start_us // 1000,
        duration_ms=round(max(root.duration_ms, (end_us - start_us) / 1000), 3),
        status=root.status,
        error=root.error,
        model=calls[0].model if calls else None,
        key_id=_first(genai.KEY_ID, llm, span_rows),
        project=_first(genai.PROJECT, llm, span_rows),
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
        cost_usd=sum(c.cost_usd for c in calls),
        cache_hit=any(c.cache for c in calls),
        span_count=len(span_rows),
    )
    return trace, span_rows, calls


def span_record(s: Span) -> SpanRecord:
    """The record of an ended span (its attributes and events shared, not copied)."""
    return SpanRecord(
        s.state.trace_id,
        s.span_id,
        s.parent_id,
        s.name,
        s.kind,
        s.start_us,
        round(s.elapsed_ms, 3),
        s.status,
        s.error,
        s.attributes,
        s.events,
    )


def call_record(s: SpanRecord) -> LLMCallRecord:
    """One usage row from an llm span's attributes."""
    a = s.attributes
    operation = str(a.get(genai.OPERATION_NAME, "chat"))
    return LLMCallRecord(
        trace_id=s.trace_id,
        span_id=s.span_id,
        started_at=s.start_us // 1000,
        operation=genai.REQUEST_OPERATIONS.get(operation, operation),
        model=str(a.get(genai.REQUEST_MODEL) or a.get(genai.RESPONSE_MODEL) or s.name),
        status=s.status,
        latency_ms=s.duration_ms,
        provider=_str(a.get(genai.PROVIDER_NAME)),
        target=_str(a.get(genai.TARGET)),
        key_id=_str(a.get(genai.KEY_ID)),
        project=_str(a.get(genai.PROJECT)),
        error_type=_error_type(s),
        prompt_tokens=_int(a.get(genai.USAGE_INPUT_TOKENS)),
        completion_tokens=_int(a.get(genai.USAGE_OUTPUT_TOKENS)),
        cost_usd=_float(a.get(genai.COST_USD)),
        cache=_str(a.get(genai.CACHE)),
        stream=bool(a.get(genai.STREAM, False)),
        prompt_ref=_str(a.get(genai.PROMPT_REF)),
    )


def _error_type(s: SpanRecord) -> str | None:
    if s.status != "error":
        return None
    return _str(s.attributes.get(genai.ERROR_TYPE)) or (s.error or "").partition(":")[0] or None


def _root_id(state: TraceState) -> str | None:
    return state.root.span_id if state.root is not None else None


def _first(key: str, *groups: Sequence[SpanRecord]) -> str | None:
    for group in groups:
        for s in group:
            value = s.attributes.get(key)
            if value:
                return str(value)
    return None


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float:
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0
