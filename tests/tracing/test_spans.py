"""Spans nest through calls, threads and tasks; ids have W3C sizes; errors mark the span."""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import shipyard as sy
from shipyard.store.trace_records import SpanRecord, TraceRecord
from shipyard.tracing import (
    carry,
    current_span,
    current_trace_id,
    flush_traces,
    no_tracing,
    span,
    start_span,
    trace,
    use_span,
)
from shipyard.workspace import current_workspace


def stored(trace_id: str) -> tuple[TraceRecord, dict[str, SpanRecord]]:
    assert flush_traces(10)
    record, spans = current_workspace().store.traces.get(trace_id)
    return record, {s.name: s for s in spans}


def test_sy_trace_is_the_public_entry_point() -> None:
    assert sy.trace is trace


def test_nested_spans_share_a_trace_and_point_at_their_parent() -> None:
    assert current_span() is None and current_trace_id() is None
    with trace("rag-answer") as root:
        assert current_span() is root
        with span("retrieve") as retrieve:
            assert current_trace_id() == root.trace_id
            with span("embed", kind="stage") as embed:
                pass
        with span("chat local/gemma", kind="llm") as llm:
            llm.set_attribute("gen_ai.usage.input_tokens", 3)
        assert current_span() is root
    assert current_span() is None

    assert re.fullmatch(r"[0-9a-f]{32}", root.trace_id)
    for s in (root, retrieve, embed, llm):
        assert re.fullmatch(r"[0-9a-f]{16}", s.span_id)
        assert s.trace_id == root.trace_id
    assert root.parent_id is None
    assert retrieve.parent_id == root.span_id == llm.parent_id
    assert embed.parent_id == retrieve.span_id
    assert len({root.span_id, retrieve.span_id, embed.span_id, llm.span_id}) == 4

    record, spans = stored(root.trace_id)
    assert record.name == "rag-answer" and record.span_count == 4 and record.status == "ok"
    assert spans["embed"].kind == "stage" and spans["embed"].parent_id == retrieve.span_id
    assert spans["chat local/gemma"].attributes == {"gen_ai.usage.input_tokens": 3}
    assert record.duration_ms >= spans["retrieve"].duration_ms >= spans["embed"].duration_ms
    assert spans["rag-answer"].start_us <= spans["retrieve"].start_us <= spans["embed"].start_us


def test_two_blocks_after_each_other_are_two_traces() -> None:
    with trace("one") as a:
        pass
    with trace("two") as b:
        pass
    assert a.trace_id != b.trace_id
    assert b.parent_id is None


def test_trace_ids_start_with_the_time_so_the_stores_indexes_append() -> None:
    before = time.time_ns() // 1_000_000
    ids = []
    for _ in range(200):
        with trace("t") as t:
            pass
        ids.append(t.trace_id)
    after = time.time_ns() // 1_000_000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == len(ids)
    stamps = [int(i[:12], 16) for i in ids]
    assert before <= stamps[0] and stamps == sorted(stamps) and stamps[-1] <= after
    # the 80 bits after the time are random: ids of one millisecond differ there
    assert len({i[12:] for i in ids}) == len(ids)


def test_an_exception_marks_the_span_and_its_parents_and_goes_on() -> None:
    with pytest.raises(ValueError, match="no documents"), trace("rag") as root:
        with span("retrieve") as inner:
            raise ValueError("no documents")
    assert inner.status == "error" and inner.error == "ValueError: no documents"
    record, spans = stored(root.trace_id)
    assert record.status == "error" and record.error == "ValueError: no documents"
    event = spans["retrieve"].events[0]
    assert event["name"] == "exception"
    assert event["attributes"] == {
        "exception.type": "ValueError",
        "exception.message": "no documents",
    }


def test_record_error_without_raising_and_events() -> None:
    with trace("job") as root:
        root.add_event("retry", {"attempt": 2})
        root.record_error(TimeoutError())
        root.set_attributes({"a": 1, "b": None})
        root.set_attribute("a", None)
    record, spans = stored(root.trace_id)
    assert record.status == "error" and record.error == "TimeoutError"
    assert spans["job"].attributes == {}
    assert [e["name"] for e in spans["job"].events] == ["retry", "exception"]
    assert spans["job"].events[0]["attributes"] == {"attempt": 2}


def test_decorators_sync_async_and_bare() -> None:
    @trace
    def plain(x: int) -> int:
        return x + 1

    @span("double", kind="stage")
    def double(x: int) -> int:
        assert current_span() is not None and current_span().name == "double"  # type: ignore[union-attr]
        return 2 * x

    @trace("async-work")
    async def work() -> str | None:
        await asyncio.sleep(0)
        return current_trace_id()

    with trace("outer") as outer:
        assert plain(1) == 2
        assert double(2) == 4 and double(3) == 6
        assert asyncio.run(work()) == outer.trace_id
    _, spans = stored(outer.trace_id)
    assert set(spans) == {
        "outer",
        "test_decorators_sync_async_and_bare.<locals>.plain",
        "double",
        "async-work",
    }
    assert all(s.parent_id == outer.span_id for n, s in spans.items() if n != "outer")
    assert plain.__name__ == "plain"


def test_a_scope_cannot_be_entered_twice_at_once() -> None:
    scope = span("once")
    with scope, pytest.raises(RuntimeError, match="already open"):
        scope.__enter__()


def test_threads_nest_with_carry_and_copy_context() -> None:
    seen: list[str | None] = []

    def work(i: int) -> str:
        with span(f"item-{i}") as s:
            return s.parent_id or ""

    with trace("batch") as root:
        with ThreadPoolExecutor(4) as pool:
            parents = list(pool.map(carry(work), range(4)))
        ctx = contextvars.copy_context()
        t = threading.Thread(target=ctx.run, args=(lambda: seen.append(current_trace_id()),))
        t.start()
        t.join()
        # a thread started without carrying the context starts its own trace
        bare = threading.Thread(target=lambda: seen.append(current_trace_id()))
        bare.start()
        bare.join()
    assert parents == [root.span_id] * 4
    assert seen == [root.trace_id, None]
    record, spans = stored(root.trace_id)
    assert record.span_count == 5 and {f"item-{i}" for i in range(4)} <= set(spans)


def test_a_child_outliving_its_root_is_kept_and_stretches_the_trace() -> None:
    with trace("request") as root:
        streaming = start_span("chat m", kind="llm")
    assert current_span() is None
    with use_span(streaming):
        with span("late-work"):
            pass
    streaming.end()
    record, spans = stored(root.trace_id)
    assert set(spans) == {"request", "chat m", "late-work"}
    assert spans["late-work"].parent_id == streaming.span_id
    assert record.duration_ms >= spans["request"].duration_ms
    streaming.end()  # ending twice does nothing


def test_workspace_argument_chooses_where_the_trace_goes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shipyard.core.settings import Settings
    from shipyard.workspace import Workspace

    other = Workspace.open(Settings.load(home=str(tmp_path / "other")))
    try:
        with trace("elsewhere", workspace=other) as root:
            pass
        assert flush_traces(10)
        assert other.store.traces.get(root.trace_id)[0].name == "elsewhere"
        from shipyard.core.errors import NotFound

        with pytest.raises(NotFound):
            current_workspace().store.traces.get(root.trace_id)
    finally:
        other.close()


def test_no_tracing_turns_recording_off_inside_the_block() -> None:
    with no_tracing():
        with trace("hidden") as hidden, span("inner") as inner:
            assert current_span() is inner and inner.parent_id is None
    with trace("shown") as shown:
        pass
    assert flush_traces(10)
    from shipyard.store.trace_records import TraceQuery

    names = [t.name for t in current_workspace().store.traces.list(TraceQuery())]
    assert names == ["shown"]
    assert hidden.trace_id != shown.trace_id


class _SlowAttributes(dict[str, Any]):
    """Attributes that hold the span's construction until told: a thread switch, made certain."""

    def __init__(self) -> None:
        super().__init__(a=1)
        self.inside = threading.Event()
        self.proceed = threading.Event()

    def items(self):  # type: ignore[no-untyped-def, override]
        self.inside.set()
        assert self.proceed.wait(10)
        return super().items()


def test_a_span_started_in_another_thread_as_its_trace_ends_is_never_lost() -> None:
    """The child either joins the trace before it is recorded, or starts a trace of its own.

    The child thread is held while its span is being built; the parent ends
    meanwhile. Joining must have been decided (and counted) before, under the
    trace's lock, so the trace waits for the child instead of being recorded
    without it.
    """
    parent = start_span("parent")
    attributes = _SlowAttributes()
    children: list[Any] = []

    def child() -> None:
        c = start_span("child", parent=parent, attributes=attributes)
        c.end()
        children.append(c)

    t = threading.Thread(target=child)
    t.start()
    assert attributes.inside.wait(10)
    parent.end()
    attributes.proceed.set()
    t.join(10)
    [c] = children
    assert c.trace_id == parent.trace_id and c.parent_id == parent.span_id
    assert c in c.state.spans, "the child attached to a trace already recorded"
    record, spans = stored(parent.trace_id)
    assert set(spans) == {"parent", "child"} and record.span_count == 2
