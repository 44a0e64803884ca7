"""The traces repository on SQLite and PostgreSQL: batches in, filtered lists and trees out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.store.sql import SqlStore
from shipyard.store.trace_records import (
    CallQuery,
    LLMCallRecord,
    SpanRecord,
    TraceQuery,
    TraceRecord,
)


def _trace(i: int, **changes: object) -> TraceRecord:
    base: dict[str, object] = {
        "trace_id": f"{i:032x}",
        "name": f"chat model-{i % 2}",
        "started_at": 1_000 + i,
        "duration_ms": 10.0 * i,
        "model": f"model-{i % 2}",
        "key_id": "k1" if i < 3 else "k2",
        "project": "support",
        "prompt_tokens": i,
        "completion_tokens": 2 * i,
        "cost_usd": 0.001 * i,
        "cache_hit": i == 4,
        "span_count": 2,
    }
    return TraceRecord(**{**base, **changes})  # type: ignore[arg-type]


def _spans(t: TraceRecord) -> list[SpanRecord]:
    root = SpanRecord(
        trace_id=t.trace_id,
        span_id=f"{1:016x}",
        parent_id=None,
        name=t.name,
        kind="llm",
        start_us=t.started_at * 1000,
        duration_ms=t.duration_ms,
        attributes={
            "gen_ai.request.model": t.model,
            "gen_ai.response.finish_reasons": ["stop"],
            "nested": {"a": [1, 2.5, None]},
        },
    )
    child = SpanRecord(
        trace_id=t.trace_id,
        span_id=f"{2:016x}",
        parent_id=root.span_id,
        name="auth",
        kind="stage",
        start_us=t.started_at * 1000 + 5,
        duration_ms=0.25,
        status="error" if t.status == "error" else "ok",
        error="Unauthorized: no" if t.status == "error" else None,
        events=[{"name": "exception", "time_us": 7, "attributes": {"exception.type": "X"}}],
    )
    return [child, root]  # out of order: get() sorts by start


def _call(t: TraceRecord) -> LLMCallRecord:
    return LLMCallRecord(
        trace_id=t.trace_id,
        span_id=f"{1:016x}",
        started_at=t.started_at,
        operation="chat",
        model=t.model or "",
        status=t.status,
        latency_ms=t.duration_ms,
        provider="echo",
        target=f"echo/{t.model}",
        key_id=t.key_id,
        project=t.project,
        prompt_tokens=t.prompt_tokens,
        completion_tokens=t.completion_tokens,
        cost_usd=t.cost_usd,
        cache="exact" if t.cache_hit else None,
        stream=t.trace_id.endswith("3"),
    )


def _record(store: SqlStore, traces: list[TraceRecord]) -> None:
    store.traces.record(traces, [s for t in traces for s in _spans(t)], [_call(t) for t in traces])


def test_record_get_and_idempotent_batches(store: SqlStore) -> None:
    traces = [_trace(i) for i in range(6)] + [_trace(6, status="error", error="Boom: x")]
    _record(store, traces[:4])
    _record(store, traces[2:])  # overlaps: the stored ones are skipped, the rest written
    store.traces.record([], [], [])

    record, spans = store.traces.get(traces[6].trace_id)
    assert record == traces[6]
    assert [s.name for s in spans] == [traces[6].name, "auth"]
    assert spans[0].attributes == {
        "gen_ai.request.model": "model-0",
        "gen_ai.response.finish_reasons": ["stop"],
        "nested": {"a": [1, 2.5, None]},
    }
    assert spans[1].parent_id == spans[0].span_id and spans[1].status == "error"
    assert spans[1].events == [
        {"name": "exception", "time_us": 7, "attributes": {"exception.type": "X"}}
    ]
    assert len(store.traces.list(TraceQuery())) == 7
    assert len(store.traces.calls(CallQuery())) == 7
    with pytest.raises(NotFound, match="shipyard traces list"):
        store.traces.get("f" * 32)


def test_a_batch_of_any_size_is_stored_whole_and_in_order(store: SqlStore) -> None:
    # SQLite takes the rows many to a statement (48, 8, then 1 at a time): 61 traces are
    # 122 spans (48 + 48 + 8 + 8 + 8 + 1 + 1) and 61 calls, every size and every remainder
    traces = [_trace(i, span_count=2) for i in range(100, 161)]
    _record(store, traces)
    assert sorted(store.traces.list(TraceQuery(limit=100)), key=lambda t: t.trace_id) == traces
    for t in (traces[0], traces[47], traces[48], traces[-1]):
        record, spans = store.traces.get(t.trace_id)
        assert record == t and spans == sorted(_spans(t), key=lambda s: s.start_us)
    calls = store.traces.calls(CallQuery())
    assert [(c.trace_id, c.cost_usd) for c in calls] == [(t.trace_id, t.cost_usd) for t in traces]


def test_list_filters_newest_first(store: SqlStore) -> None:
    traces = [_trace(i) for i in range(6)]
    traces.append(_trace(6, status="error", name="rag-answer", cache_hit=False))
    traces.append(_trace(7, name="RAG 100%_done", model=None, key_id=None))
    _record(store, traces)

    def ids(**filters: object) -> list[int]:
        found = store.traces.list(TraceQuery(**filters))  # type: ignore[arg-type]
        return [int(t.trace_id, 16) for t in found]

    assert ids() == [7, 6, 5, 4, 3, 2, 1, 0]
    assert ids(model="model-1") == [5, 3, 1]
    assert ids(key_id="k1") == [2, 1, 0]
    assert ids(project="support", status="error") == [6]
    assert ids(min_duration_ms=20, max_duration_ms=40) == [4, 3, 2]
    assert ids(min_cost_usd=0.0045) == [7, 6, 5]
    assert ids(cache_hit=True) == [4]
    assert ids(cache_hit=False, model="model-0") == [6, 2, 0]
    assert ids(name="rag") == [7, 6]
    assert ids(name="100%_") == [7]
    assert ids(name="%") == [7]  # a literal percent sign, not a wildcard
    assert ids(since=1_002, until=1_005) == [4, 3, 2]
    assert ids(limit=3) == [7, 6, 5]
    assert ids(limit=3, offset=3) == [4, 3, 2]
    for bad in (0, 1001):
        with pytest.raises(InvalidInput, match="limit must be between 1 and 1000"):
            store.traces.list(TraceQuery(limit=bad))
    with pytest.raises(InvalidInput, match="offset"):
        store.traces.list(TraceQuery(offset=-1))


def test_calls_filters_oldest_first(store: SqlStore) -> None:
    traces = [_trace(i) for i in range(6)]
    _record(store, traces)
    calls = store.traces.calls(CallQuery())
    assert [c.started_at for c in calls] == [1_000 + i for i in range(6)]
    first = calls[0]
    assert first.id is not None
    assert first == LLMCallRecord(**{**_call(traces[0]).to_dict(), "id": first.id})
    assert calls[3].stream is True and calls[4].cache == "exact"

    def starts(**filters: object) -> list[int]:
        return [c.started_at - 1_000 for c in store.traces.calls(CallQuery(**filters))]  # type: ignore[arg-type]

    assert starts(model="model-0") == [0, 2, 4]
    assert starts(key_id="k2", project="support") == [3, 4, 5]
    assert starts(since=1_001, until=1_003) == [1, 2]
    assert starts(limit=2) == [0, 1]
    with pytest.raises(InvalidInput, match="limit"):
        store.traces.calls(CallQuery(limit=0))


def test_a_failed_batch_writes_nothing(store: SqlStore) -> None:
    good = _trace(1)
    # NOT NULL violated in the last statement of the transaction
    calls = [_call(good), LLMCallRecord(**{**_call(good).to_dict(), "operation": None})]  # type: ignore[arg-type]
    with pytest.raises(Exception):  # the driver's own integrity error
        store.traces.record([good], _spans(good), calls)
    assert store.traces.list(TraceQuery()) == []
    assert store.traces.calls(CallQuery()) == []


def test_over_long_values_are_cut_to_their_columns_not_the_batch(store: SqlStore) -> None:
    # Model names come from requests and have no limit; PostgreSQL refuses a value
    # longer than its column, which used to lose every trace of the batch.
    long_model = "echo/" + "x" * 300
    bad = _trace(9, model=long_model, project="p" * 200, name="n" * 300, status="e" * 20)
    call = replace(_call(bad), provider="v" * 100, error_type="E" * 100, cache="c" * 30)
    spans = [replace(s, kind="k" * 40, name="s" * 300) for s in _spans(bad)]
    good = [_trace(i) for i in range(5)]
    store.traces.record(
        [*good, bad],
        [s for t in good for s in _spans(t)] + spans,
        [_call(t) for t in good] + [call],
    )

    assert len(store.traces.list(TraceQuery())) == 6
    record, stored_spans = store.traces.get(bad.trace_id)
    assert record.model == long_model[:255] and record.project == "p" * 128
    assert record.name == "n" * 255 and record.status == "e" * 16
    assert {s.kind for s in stored_spans} == {"k" * 32}
    [stored_call] = store.traces.calls(CallQuery(key_id=bad.key_id, since=bad.started_at))
    assert stored_call.model == long_model[:255] and stored_call.provider == "v" * 64
    assert stored_call.error_type == "E" * 64 and stored_call.cache == "c" * 16


def _half(trace_id: str, name: str, start_ms: int, ms: float, span_id: str, parent: str | None):  # type: ignore[no-untyped-def]
    t = TraceRecord(
        trace_id=trace_id,
        name=name,
        started_at=start_ms,
        duration_ms=ms,
        model="fast" if parent else None,
        prompt_tokens=3 if parent else 0,
        completion_tokens=4 if parent else 0,
        cost_usd=0.5 if parent else 0.0,
        span_count=1,
    )
    s = SpanRecord(
        trace_id, span_id, parent, name, "llm" if parent else "internal", start_ms * 1000, ms
    )
    calls = [] if parent is None else [replace(_call(t), span_id=span_id, model="fast")]
    return [t], [s], calls


def test_two_halves_of_one_trace_become_one(store: SqlStore) -> None:
    """A caller and the gateway it called over HTTP (traceparent) record one trace id."""
    tid = "ab" * 16
    caller = _half(tid, "rag-answer", 1_000, 50.0, "1" * 16, None)
    gateway = _half(tid, "chat fast", 1_010, 20.0, "2" * 16, "1" * 16)
    store.traces.record(*gateway)  # the inner half ends, and is written, first
    store.traces.record(*caller)
    store.traces.record(*caller)  # sent again: nothing changes
    record, spans = store.traces.get(tid)
    assert [(s.name, s.parent_id) for s in spans] == [("rag-answer", None), ("chat fast", "1" * 16)]
    assert record.name == "rag-answer" and record.started_at == 1_000
    assert record.duration_ms == 50.0 and record.span_count == 2
    assert (record.prompt_tokens, record.completion_tokens, record.cost_usd) == (3, 4, 0.5)
    assert record.model == "fast"
    assert len(store.traces.calls(CallQuery())) == 1

    # both halves in one batch (one process records both)
    tid2 = "cd" * 16
    a, b = (_half(tid2, *args) for args in (
        ("chat fast", 1_000, 20.0, "2" * 16, "1" * 16), ("rag-answer", 1_000, 50.0, "1" * 16, None)
    ))  # fmt: skip
    store.traces.record(a[0] + b[0], a[1] + b[1], a[2] + b[2])
    record, spans = store.traces.get(tid2)
    assert record.name == "rag-answer" and record.span_count == 2 and record.cost_usd == 0.5
    assert len(spans) == 2


def test_two_more_halves_of_a_stored_trace_in_one_batch_are_stored_once(store: SqlStore) -> None:
    """Three processes on one trace: the second and third parts arrive in the same batch."""
    tid = "ef" * 16
    root = _half(tid, "rag-answer", 1_000, 50.0, "1" * 16, None)
    one = _half(tid, "chat fast", 1_010, 20.0, "2" * 16, "1" * 16)
    two = _half(tid, "chat fast", 1_030, 10.0, "3" * 16, "1" * 16)
    store.traces.record(*root)
    store.traces.record(one[0] + two[0], one[1] + two[1], one[2] + two[2])
    record, spans = store.traces.get(tid)
    assert sorted(s.span_id[0] for s in spans) == ["1", "2", "3"]
    assert record.name == "rag-answer" and record.span_count == 3
    assert (record.prompt_tokens, record.cost_usd) == (6, 1.0)
    assert len(store.traces.calls(CallQuery())) == 2


def test_delete_before_removes_old_traces_with_their_rows(store: SqlStore) -> None:
    _record(store, [_trace(i) for i in range(6)])
    assert store.traces.delete_before(1_003) == 3
    assert [int(t.trace_id, 16) for t in store.traces.list(TraceQuery())] == [5, 4, 3]
    assert {c.trace_id for c in store.traces.calls(CallQuery())} == {f"{i:032x}" for i in (3, 4, 5)}
    with pytest.raises(NotFound):
        store.traces.get(f"{1:032x}")
    assert store.traces.delete_before(1_003) == 0
    assert store.traces.delete_before(10**15) == 3
