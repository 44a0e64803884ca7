"""The SQL repository of traces, spans and LLM calls (tracing).

The recorder writes finished traces in batches: ``record`` inserts every row
of a batch with one ``executemany`` per table in one transaction, and skips
traces already stored, so a batch sent twice (a retried POST) is stored once.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.store.database import Database
from shipyard.store.tables import llm_calls
from shipyard.store.tables import spans as _spans
from shipyard.store.tables import traces as _traces
from shipyard.store.trace_records import (
    CallQuery,
    LLMCallRecord,
    SpanRecord,
    TraceQuery,
    TraceRecord,
)

MAX_TRACES = 1000
MAX_CALLS = 1_000_000
_IN_CHUNK = 500  # trace ids per IN (...) when looking for ones already stored


class SqlTraces:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        traces: Sequence[TraceRecord],
        spans: Sequence[SpanRecord],
        calls: Sequence[LLMCallRecord],
    ) -> None:
        """Store finished traces with their spans and calls, all or nothing."""
        if not traces:
            return
        ids = [t.trace_id for t in traces]

        def work(conn: Connection) -> None:
            stored = _stored(conn, ids)
            new_traces = [_trace_row(t) for t in traces if t.trace_id not in stored]
            if not new_traces:
                return
            conn.execute(insert(_traces), new_traces)
            new_spans = [_span_row(s) for s in spans if s.trace_id not in stored]
            if new_spans:
                conn.execute(insert(_spans), new_spans)
            new_calls = [_call_row(c) for c in calls if c.trace_id not in stored]
            if new_calls:
                conn.execute(insert(llm_calls), new_calls)

        self.db.write(work)

    def list(self, query: TraceQuery) -> list[TraceRecord]:
        """The traces ``query`` selects, newest first."""
        if not 1 <= query.limit <= MAX_TRACES:
            raise InvalidInput(f"limit must be between 1 and {MAX_TRACES}, got {query.limit}")
        if query.offset < 0:
            raise InvalidInput(f"offset must be 0 or more, got {query.offset}")
        t = _traces
        stmt = select(t)
        for column, value in (
            (t.c.model, query.model),
            (t.c.key_id, query.key_id),
            (t.c.project, query.project),
            (t.c.status, query.status),
            (t.c.cache_hit, query.cache_hit),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.min_duration_ms is not None:
            stmt = stmt.where(t.c.duration_ms >= query.min_duration_ms)
        if query.max_duration_ms is not None:
            stmt = stmt.where(t.c.duration_ms <= query.max_duration_ms)
        if query.min_cost_usd is not None:
            stmt = stmt.where(t.c.cost_usd >= query.min_cost_usd)
        if query.name:
            stmt = stmt.where(t.c.name.icontains(query.name, autoescape=True))
        if query.since is not None:
            stmt = stmt.where(t.c.started_at >= query.since)
        if query.until is not None:
            stmt = stmt.where(t.c.started_at < query.until)
        stmt = stmt.order_by(t.c.started_at.desc(), t.c.trace_id.desc())
        with self.db.read() as conn:
            found = conn.execute(stmt.limit(query.limit).offset(query.offset)).all()
        return [_trace(r) for r in found]

    def get(self, trace_id: str) -> tuple[TraceRecord, builtins.list[SpanRecord]]:
        """One trace and its spans in start order."""
        with self.db.read() as conn:
            row = conn.execute(select(_traces).where(_traces.c.trace_id == trace_id)).first()
            if row is None:
                raise NotFound(
                    f"no trace {trace_id!r}; `shipyard traces list` shows the recent ones"
                )
            found = conn.execute(
                select(_spans)
                .where(_spans.c.trace_id == trace_id)
                .order_by(_spans.c.start_us, _spans.c.id)
            ).all()
        return _trace(row), [_span(r) for r in found]

    def calls(self, query: CallQuery) -> builtins.list[LLMCallRecord]:
        """The LLM calls ``query`` selects, oldest first (usage and cost reports)."""
        if not 1 <= query.limit <= MAX_CALLS:
            raise InvalidInput(f"limit must be between 1 and {MAX_CALLS}, got {query.limit}")
        c = llm_calls
        stmt = select(c)
        for column, value in (
            (c.c.model, query.model),
            (c.c.key_id, query.key_id),
            (c.c.project, query.project),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.since is not None:
            stmt = stmt.where(c.c.started_at >= query.since)
        if query.until is not None:
            stmt = stmt.where(c.c.started_at < query.until)
        stmt = stmt.order_by(c.c.started_at, c.c.id).limit(query.limit)
        with self.db.read() as conn:
            return [_call(r) for r in conn.execute(stmt).all()]


def _stored(conn: Connection, ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i : i + _IN_CHUNK]
        out.update(conn.scalars(select(_traces.c.trace_id).where(_traces.c.trace_id.in_(chunk))))
    return out


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)


def _trace_row(t: TraceRecord) -> dict[str, Any]:
    return {
        **t.to_dict(),
        "name": t.name[:255],
        "duration_ms": float(t.duration_ms),
        "cost_usd": float(t.cost_usd),
        "cache_hit": bool(t.cache_hit),
    }


def _span_row(s: SpanRecord) -> dict[str, Any]:
    return {
        "trace_id": s.trace_id,
        "span_id": s.span_id,
        "parent_id": s.parent_id,
        "name": s.name[:255],
        "kind": s.kind,
        "start_us": s.start_us,
        "duration_ms": float(s.duration_ms),
        "status": s.status,
        "error": s.error,
        "attributes": _json(s.attributes) if s.attributes else "{}",
        "events": _json(s.events) if s.events else "[]",
    }


def _call_row(c: LLMCallRecord) -> dict[str, Any]:
    row = c.to_dict()
    row.pop("id")
    return row


def _trace(row: Any) -> TraceRecord:
    return TraceRecord(**{k: getattr(row, k) for k in TraceRecord.__dataclass_fields__})


def _span(row: Any) -> SpanRecord:
    return SpanRecord(
        trace_id=row.trace_id,
        span_id=row.span_id,
        parent_id=row.parent_id,
        name=row.name,
        kind=row.kind,
        start_us=row.start_us,
        duration_ms=row.duration_ms,
        status=row.status,
        error=row.error,
        attributes=json.loads(row.attributes),
        events=json.loads(row.events),
    )


def _call(row: Any) -> LLMCallRecord:
    return LLMCallRecord(**{k: getattr(row, k) for k in LLMCallRecord.__dataclass_fields__})
