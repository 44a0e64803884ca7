"""The SQL repository of traces, spans and LLM calls (tracing).

The recorder writes finished traces in batches: ``record`` inserts every row
of a batch with one ``executemany`` per table in one transaction, and skips
traces already stored, so a batch sent twice (a retried POST) is stored once.
"""

from __future__ import annotations

import builtins
import functools
import json
import operator
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from sqlalchemy import Connection, String, Table, delete, select, update

from shipyard.core import fastjson
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
        """Store finished traces with their spans and calls, all or nothing.

        A trace already stored is either the same batch sent again (its spans
        are all there: nothing is written) or the other half of a trace that
        crossed processes (a caller and the gateway it called, joined by
        ``traceparent``): then its new spans and calls are added and the
        trace row is merged (earliest root, summed totals).
        """
        if not traces:
            return
        ids = [t.trace_id for t in traces]

        def work(conn: Connection) -> None:
            stored = _stored(conn, ids)
            incoming: dict[str, TraceRecord] = {}
            for t in traces:  # both halves in one batch: one record
                seen = incoming.get(t.trace_id)
                incoming[t.trace_id] = t if seen is None else _combined(seen, t)
            new_traces = [t for t in incoming.values() if t.trace_id not in stored]
            if new_traces:
                _insert_many(conn, _traces, [_trace_values_of(t) for t in new_traces])
            new_spans = [_span_row(s) for s in spans if s.trace_id not in stored]
            new_calls = [_call_row(c) for c in calls if c.trace_id not in stored]
            if stored:  # halves of traces already stored: group once, not per trace
                by_trace: dict[str, tuple[list[SpanRecord], list[LLMCallRecord]]] = {}
                for s in spans:
                    if s.trace_id in stored:
                        by_trace.setdefault(s.trace_id, ([], []))[0].append(s)
                for c in calls:
                    if c.trace_id in stored:
                        by_trace.setdefault(c.trace_id, ([], []))[1].append(c)
                for t in incoming.values():
                    if t.trace_id in stored:
                        mine = by_trace.get(t.trace_id, ([], []))
                        more_spans, more_calls = _merge(conn, t, *mine)
                        new_spans += more_spans
                        new_calls += more_calls
            if new_spans:
                _insert_many(conn, _spans, new_spans)
            if new_calls:
                _insert_many(conn, llm_calls, new_calls)

        self.db.write(work)

    def delete_before(self, before_ms: int) -> int:
        """Delete traces started before ``before_ms`` with their spans and calls; how many."""

        def work(conn: Connection) -> int:
            old = select(_traces.c.trace_id).where(_traces.c.started_at < before_ms)
            conn.execute(delete(_spans).where(_spans.c.trace_id.in_(old)))
            conn.execute(delete(llm_calls).where(llm_calls.c.trace_id.in_(old)))
            return conn.execute(delete(_traces).where(_traces.c.started_at < before_ms)).rowcount

        return int(self.db.write(work))

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

    def aggregate_calls(
        self,
        query: CallQuery,
        *,
        groupings: Sequence[Sequence[str]],
        bucket_ms: int | None = None,
        latency_sample: int = 0,
    ) -> CallGroups:
        """Exact sums of the calls ``query`` selects, per group, added up by the database.

        Each grouping is columns of ``llm_calls`` (``("model",)``, ``("key_id",)``);
        with ``bucket_ms`` also per time bucket, ``bucket`` being its start
        (``started_at - started_at % bucket_ms``, the same on SQLite and
        PostgreSQL). ``query.limit`` does not apply: every call counts.

        With ``latency_sample`` the latencies of at most that many calls come
        too, newest first, for percentiles: all of them when there are no more
        calls than that, else every n-th call by id, spread over the range.
        """
        from sqlalchemy import case, func, literal_column

        c = llm_calls
        where = _call_filters(query)
        sums = [
            func.count().label("requests"),
            func.sum(case((c.c.status != "ok", 1), else_=0)).label("errors"),
            func.sum(case((c.c.cache.is_not(None), 1), else_=0)).label("cache_hits"),
            func.sum(c.c.prompt_tokens).label("prompt_tokens"),
            func.sum(c.c.completion_tokens).label("completion_tokens"),
            func.sum(c.c.cost_usd).label("cost_usd"),
        ]
        keys: list[Any] = []
        if bucket_ms is not None:
            # a literal, not a bound parameter: PostgreSQL matches GROUP BY to SELECT by text
            width: Any = literal_column(str(int(bucket_ms)))
            keys.append((c.c.started_at - c.c.started_at % width).label("bucket"))
        groups: builtins.list[builtins.list[dict[str, Any]]] = []
        with self.db.read() as conn:
            for columns in groupings:
                by = keys + [c.c[name] for name in columns]
                stmt = select(*by, *sums).where(*where).group_by(*by)
                groups.append([_sums(r._mapping) for r in conn.execute(stmt)])
            if latency_sample <= 0:
                return CallGroups(groups, [], False)
            if groups:
                total = sum(r["requests"] for r in groups[0])
            else:
                total = int(conn.scalar(select(func.count()).select_from(c).where(*where)) or 0)
            every = -(-total // latency_sample)
            sample: Any = select(c.c.started_at, c.c.model, c.c.key_id, c.c.latency_ms)
            sample = sample.where(*where)
            if every > 1:
                sample = sample.where(c.c.id % every == 0)
            sample = sample.order_by(c.c.started_at.desc(), c.c.id.desc()).limit(latency_sample)
            latencies = [(int(r[0]), str(r[1]), r[2], float(r[3])) for r in conn.execute(sample)]
        return CallGroups(groups, latencies, every > 1)


class CallGroups(NamedTuple):
    """What ``SqlTraces.aggregate_calls`` found."""

    groups: builtins.list[builtins.list[dict[str, Any]]]
    """Per grouping, one row per group: its columns (and ``bucket``), ``requests``,
    ``errors``, ``cache_hits``, ``prompt_tokens``, ``completion_tokens``, ``cost_usd``."""
    latencies: builtins.list[tuple[int, str, str | None, float]]
    """``(started_at, model, key_id, latency_ms)`` of the sampled calls, newest first."""
    sampled: bool
    """The latencies are a sample (more calls than ``latency_sample``)."""


def _call_filters(query: CallQuery) -> builtins.list[Any]:
    c = llm_calls
    where: builtins.list[Any] = [
        column == value
        for column, value in (
            (c.c.model, query.model),
            (c.c.key_id, query.key_id),
            (c.c.project, query.project),
        )
        if value is not None
    ]
    if query.since is not None:
        where.append(c.c.started_at >= query.since)
    if query.until is not None:
        where.append(c.c.started_at < query.until)
    return where


def _sums(row: Any) -> dict[str, Any]:
    out = dict(row)
    for name in ("requests", "errors", "cache_hits", "prompt_tokens", "completion_tokens"):
        out[name] = int(out[name] or 0)
    out["cost_usd"] = float(out["cost_usd"] or 0.0)
    if "bucket" in out:
        out["bucket"] = int(out["bucket"])
    return out


def _stored(conn: Connection, ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i : i + _IN_CHUNK]
        out.update(conn.scalars(select(_traces.c.trace_id).where(_traces.c.trace_id.in_(chunk))))
    return out


def _merge(
    conn: Connection,
    t: TraceRecord,
    spans: Sequence[SpanRecord],
    calls: Sequence[LLMCallRecord],
) -> tuple[builtins.list[tuple[Any, ...]], builtins.list[tuple[Any, ...]]]:
    """The rows of ``t`` not stored yet, with its stored trace row updated to cover both halves.

    ``spans`` and ``calls`` are those of ``t``'s trace in this batch.
    """
    have = set(conn.scalars(select(_spans.c.span_id).where(_spans.c.trace_id == t.trace_id)))
    add = [s for s in spans if s.span_id not in have]
    if not add:
        return [], []  # the same trace sent again
    added = {s.span_id for s in add}
    more_calls = [c for c in calls if c.span_id in added]
    old = _trace(conn.execute(select(_traces).where(_traces.c.trace_id == t.trace_id)).one())
    half = replace(
        t,
        prompt_tokens=sum(c.prompt_tokens for c in more_calls),
        completion_tokens=sum(c.completion_tokens for c in more_calls),
        cost_usd=sum(c.cost_usd for c in more_calls),
        cache_hit=any(c.cache for c in more_calls),
        span_count=len(add),
    )
    values = _trace_row(_combined(old, half))
    conn.execute(update(_traces).where(_traces.c.trace_id == t.trace_id).values(values))
    return [_span_row(s) for s in add], [_call_row(c) for c in more_calls]


def _combined(a: TraceRecord, b: TraceRecord) -> TraceRecord:
    """Two halves of one trace as one: the earlier one's root and status, both halves' totals."""
    # The outer half starts first; on the same millisecond it is the longer one.
    first, second = sorted((a, b), key=lambda t: (t.started_at, -t.duration_ms))
    end = max(a.started_at + a.duration_ms, b.started_at + b.duration_ms)
    return replace(
        first,
        duration_ms=round(end - first.started_at, 3),
        model=first.model or second.model,
        key_id=first.key_id or second.key_id,
        project=first.project or second.project,
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cost_usd=a.cost_usd + b.cost_usd,
        cache_hit=a.cache_hit or b.cache_hit,
        span_count=a.span_count + b.span_count,
    )


def _insert_many(conn: Connection, table: Table, rows: builtins.list[tuple[Any, ...]]) -> None:
    """``INSERT`` the rows (tuples in ``_COLUMNS`` order) with the driver's own statements.

    The recorder's thread writes every call's rows while the gateway serves;
    SQLAlchemy's insert of dicts (compiling, per-value bind processing) costs
    about twice as much CPU per row, which the serving threads wait for under
    the GIL. The columns are plain strings and numbers, so nothing is lost.

    On SQLite the rows go many to a statement (``VALUES (...), (...), ...``):
    ``executemany`` steps the statement once per row, and each step lets go of
    the GIL and takes it back, handing the one CPU to a serving thread and
    waiting for it again, thousands of times a second under load.
    """
    columns = _COLUMNS[table.name]
    if conn.dialect.name != "sqlite":
        conn.exec_driver_sql(_insert_sql(table.name, columns, conn.dialect.paramstyle, 1), rows)
        return
    start = 0
    for size in _ROWS_PER_STATEMENT:
        sql = _insert_sql(table.name, columns, "qmark", size)
        while len(rows) - start >= size:
            values = [v for row in rows[start : start + size] for v in row]
            conn.exec_driver_sql(sql, tuple(values))
            start += size


_ROWS_PER_STATEMENT = (48, 8, 1)
"""Rows per SQLite ``INSERT``, largest first: three statements (each prepared once and kept
by the driver) cover any count; 48 rows of up to 18 columns stay under the 999 variables
of SQLite before 3.32, which some systems' Pythons still link."""


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...], paramstyle: str, rows: int) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    one = f"({', '.join([mark] * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"


_json = fastjson.dumps_text
"""Compact JSON, non-ASCII as is, anything else as ``str(value)``."""


def _fit_values(table: Table, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Cut text to its column's length (PostgreSQL refuses longer values; SQLite keeps them).

    Model names, projects and error types come from requests and have no limit
    of their own; one over-long value must not lose the batch it is in. Ids are
    left alone: a wrong id fails its own trace (the recorder retries the others).
    ``values`` are in ``_COLUMNS`` order; they are copied only when something is cut.
    """
    for i, limit in _LIMITS_AT[table.name]:
        value = values[i]
        if isinstance(value, str) and len(value) > limit:
            return tuple(
                v[:n] if isinstance(v, str) and n and len(v) > n else v
                for v, n in zip(values, _LIMIT_OF[table.name], strict=True)
            )
    return values


def _limit(column: Any) -> int:
    """A text column's length limit, 0 for none (ids too: see ``_fit_values``)."""
    if isinstance(column.type, String) and column.type.length and column.name not in _IDS:
        return int(column.type.length)
    return 0


_IDS = {"trace_id", "span_id", "parent_id"}
_INSERTED = {
    t.name: [c for c in t.columns if not (c.primary_key and c.autoincrement is True)]
    for t in (_traces, _spans, llm_calls)
}
_COLUMNS = {name: tuple(c.name for c in columns) for name, columns in _INSERTED.items()}
_LIMIT_OF = {name: tuple(map(_limit, columns)) for name, columns in _INSERTED.items()}
"""Per column in ``_COLUMNS`` order: its length limit, 0 for none."""
_LIMITS_AT = {
    name: [(i, n) for i, n in enumerate(limits) if n] for name, limits in _LIMIT_OF.items()
}
_SPAN_NAME, _SPAN_KIND, _SPAN_STATUS = (_LIMIT_OF[_spans.name][i] for i in (3, 4, 7))
assert len(_LIMITS_AT[_spans.name]) == 3, "a new limited span column: cut it in _span_row"
assert _COLUMNS[_spans.name] == (
    *("trace_id", "span_id", "parent_id", "name", "kind", "start_us", "duration_ms"),
    *("status", "error", "attributes", "events"),
), "the spans table changed: change _span_row to match"
assert _ROWS_PER_STATEMENT[0] * max(map(len, _COLUMNS.values())) <= 999, "fewer rows per INSERT"
_trace_values = operator.attrgetter(*_COLUMNS[_traces.name])
_call_values = operator.attrgetter(*_COLUMNS[llm_calls.name])
"""A record's values in its table's column order (the records name their fields as the columns)."""


def _trace_row(t: TraceRecord) -> dict[str, Any]:
    """The trace's values by column (an ``UPDATE``'s; ``_trace_values_of`` for an ``INSERT``)."""
    return dict(zip(_COLUMNS[_traces.name], _trace_values_of(t), strict=True))


def _trace_values_of(t: TraceRecord) -> tuple[Any, ...]:
    values = list(_trace_values(t))
    for i, kind in _TRACE_TYPES:  # sums of no calls are ints, any() of none False: as typed
        values[i] = kind(values[i])
    return _fit_values(_traces, tuple(values))


_TRACE_TYPES = [
    (_COLUMNS[_traces.name].index(name), kind)
    for name, kind in (("duration_ms", float), ("cost_usd", float), ("cache_hit", bool))
]


def _span_row(s: SpanRecord) -> tuple[Any, ...]:
    # the most frequent row (several per call): its three limited columns cut inline
    name, kind, status = s.name, s.kind, s.status
    return (
        s.trace_id,
        s.span_id,
        s.parent_id,
        name if len(name) <= _SPAN_NAME else name[:_SPAN_NAME],
        kind if len(kind) <= _SPAN_KIND else kind[:_SPAN_KIND],
        s.start_us,
        float(s.duration_ms),
        status if len(status) <= _SPAN_STATUS else status[:_SPAN_STATUS],
        s.error,
        _json(s.attributes) if s.attributes else "{}",
        _json(s.events) if s.events else "[]",
    )


def _call_row(c: LLMCallRecord) -> tuple[Any, ...]:
    return _fit_values(llm_calls, _call_values(c))


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
