"""``/api/v1/traces`` and ``/api/v1/llm-calls``: what the trace recorder writes and the UI reads.

Gateways and apps whose workspace is this server (``SHIPYARD_URI``) post their
finished traces here in batches; ``shipyard traces`` and the traces and usage
pages read them back with the same filters as the SQL store.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Query, Response

from shipyard.core.errors import InvalidInput
from shipyard.server.deps import workspace
from shipyard.store.trace_records import (
    CallQuery,
    LLMCallRecord,
    SpanRecord,
    TraceQuery,
    TraceRecord,
)
from shipyard.workspace import Workspace

router = APIRouter(tags=["traces"])
T = TypeVar("T")
JsonBody = Annotated[dict[str, Any], Body()]
_MAX_BATCH = 5_000
_MAX_SPANS = 200_000


def _parse(build: Callable[[dict[str, Any]], T], body: object, what: str) -> T:
    if not isinstance(body, dict):
        raise InvalidInput(f"each {what} must be a JSON object")
    _check_types(body, what)
    try:
        return build(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"not a valid {what}: {type(exc).__name__}: {exc}") from None


_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
}
_NAMES = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
          "dict": "a JSON object", "list": "a JSON list"}  # fmt: skip


def _check_types(body: dict[str, Any], what: str) -> None:
    """Each known field has its record's type (SQLite would store ``"abc"`` as a time)."""
    fields = _FIELDS[what]
    for name, value in body.items():
        if name not in fields:
            continue
        kind, optional = fields[name]
        if value is None and optional:
            continue
        ok = isinstance(value, _KINDS[kind]) and (kind == "bool" or not isinstance(value, bool))
        if not ok:
            raise InvalidInput(
                f"not a valid {what}: {name!r} must be {_NAMES[kind]}"
                f"{' or null' if optional else ''}, got {json.dumps(value)[:80]}"
            )
        if name in _ID_SIZES and len(value) > _ID_SIZES[name]:
            raise InvalidInput(
                f"not a valid {what}: {name!r} has at most {_ID_SIZES[name]} characters "
                "(W3C trace context sizes: 32 hex digits for traces, 16 for spans)"
            )


def _fields(cls: Any) -> dict[str, tuple[str, bool]]:
    """Field name → (base type name, may be null), from a record's annotations."""
    out: dict[str, tuple[str, bool]] = {}
    for f in dataclasses.fields(cls):
        text = str(f.type)
        optional = "None" in text
        out[f.name] = (text.partition("|")[0].partition("[")[0].strip(), optional)
    return out


_ID_SIZES = {"trace_id": 32, "span_id": 16, "parent_id": 16}
_FIELDS = {
    "trace": _fields(TraceRecord),
    "span": _fields(SpanRecord),
    "LLM call": _fields(LLMCallRecord),
}


def _items(body: dict[str, Any], key: str, most: int) -> list[Any]:
    items = body.get(key, [])
    if not isinstance(items, list) or len(items) > most:
        raise InvalidInput(f"{key!r} must be a list of at most {most} records")
    return items


@router.post("/traces", status_code=204)
def record_traces(body: JsonBody, ws: Workspace = Depends(workspace)) -> Response:
    """Store finished traces with their spans and LLM calls (one transaction)."""
    traces = [_parse(TraceRecord.from_dict, t, "trace") for t in _items(body, "traces", _MAX_BATCH)]
    spans = [_parse(SpanRecord.from_dict, s, "span") for s in _items(body, "spans", _MAX_SPANS)]
    calls = [
        _parse(LLMCallRecord.from_dict, c, "LLM call") for c in _items(body, "calls", _MAX_SPANS)
    ]
    ws.store.traces.record(traces, spans, calls)
    return Response(status_code=204)


@router.post("/traces/prune")
def prune_traces(body: JsonBody, ws: Workspace = Depends(workspace)) -> dict[str, int]:
    """Delete traces started before ``before`` (epoch ms), with their spans and calls."""
    before = body.get("before")
    if not isinstance(before, int) or isinstance(before, bool):
        raise InvalidInput(
            f"'before' must be epoch milliseconds (an integer), got {json.dumps(before)[:80]}"
        )
    return {"deleted": ws.store.traces.delete_before(before)}


@router.get("/traces")
def list_traces(
    model: str | None = None,
    key_id: str | None = None,
    project: str | None = None,
    status: str | None = None,
    min_duration_ms: float | None = None,
    max_duration_ms: float | None = None,
    min_cost_usd: float | None = None,
    cache_hit: bool | None = None,
    name: str | None = None,
    since: int | None = Query(None, description="epoch milliseconds, inclusive"),
    until: int | None = Query(None, description="epoch milliseconds, exclusive"),
    limit: int = 100,
    offset: int = 0,
    ws: Workspace = Depends(workspace),
) -> dict[str, Any]:
    """Traces, newest first, with their totals (tokens, cost, cache hit)."""
    query = TraceQuery(
        model=model,
        key_id=key_id,
        project=project,
        status=status,
        min_duration_ms=min_duration_ms,
        max_duration_ms=max_duration_ms,
        min_cost_usd=min_cost_usd,
        cache_hit=cache_hit,
        name=name,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return {"traces": [t.to_dict() for t in ws.store.traces.list(query)]}


@router.get("/traces/{trace_id}")
def get_trace(trace_id: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    """One trace and its spans in start order."""
    trace, spans = ws.store.traces.get(trace_id)
    return {"trace": trace.to_dict(), "spans": [s.to_dict() for s in spans]}


@router.get("/llm-calls")
def list_calls(
    model: str | None = None,
    key_id: str | None = None,
    project: str | None = None,
    since: int | None = Query(None, description="epoch milliseconds, inclusive"),
    until: int | None = Query(None, description="epoch milliseconds, exclusive"),
    limit: int = 100_000,
    ws: Workspace = Depends(workspace),
) -> dict[str, Any]:
    """LLM calls, oldest first: the rows usage and cost reports add up."""
    query = CallQuery(
        model=model, key_id=key_id, project=project, since=since, until=until, limit=limit
    )
    return {"calls": [c.to_dict() for c in ws.store.traces.calls(query)]}
