"""The recorder: batched background writes, flush, totals and calls, and a store that is down."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from shipyard.core.errors import StoreError
from shipyard.store.trace_records import (
    CallQuery,
    LLMCallRecord,
    SpanRecord,
    TraceQuery,
    TraceRecord,
)
from shipyard.tracing import flush_traces, genai, span, trace
from shipyard.tracing import recorder as recorder_module
from shipyard.tracing.recorder import TraceRecorder
from shipyard.workspace import Workspace, current_workspace


class CountingTraces:
    """The real SQL repository, with each batch's size noted (and a switch to fail or hang)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.fail: Exception | None = None
        self.gate = threading.Event()
        self.gate.set()

    def record(
        self,
        traces: Sequence[TraceRecord],
        spans: Sequence[SpanRecord],
        calls: Sequence[LLMCallRecord],
    ) -> None:
        self.gate.wait(30)
        if self.fail is not None:
            raise self.fail
        self.batches.append(len(traces))
        self.inner.record(traces, spans, calls)


@dataclass
class FakeStore:
    traces: CountingTraces


@dataclass
class WrappedWorkspace:
    store: FakeStore
    location: str = "test store"


@pytest.fixture
def counting(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CountingTraces]:
    """A recorder of its own for the test, writing through ``CountingTraces``."""
    repo = CountingTraces(current_workspace().store.traces)
    ws = WrappedWorkspace(FakeStore(repo))
    capacity = getattr(request, "param", 1000)
    rec = TraceRecorder(capacity=capacity, batch_size=100, interval_s=0.2, workspace=lambda: ws)  # type: ignore[arg-type,return-value]
    monkeypatch.setattr(recorder_module, "_recorder", rec)
    yield repo
    repo.gate.set()
    rec.close(5)


def _stored_ids() -> list[str]:
    return [c.trace_id for c in current_workspace().store.traces.calls(CallQuery())]


def test_traces_are_written_in_batches_off_the_request_thread(counting: CountingTraces) -> None:
    started = time.perf_counter()
    for i in range(250):
        with span(f"chat {i}", kind="llm"):
            pass
    assert (time.perf_counter() - started) < 1.0  # no write on this thread
    assert flush_traces(10)
    assert sum(counting.batches) == 250
    assert max(counting.batches) <= 100
    assert len(counting.batches) <= 10, counting.batches  # batched, not one write per trace
    assert len(_stored_ids()) == 250
    assert flush_traces(1)  # nothing queued: returns at once


def test_a_quiet_trace_waits_at_most_the_interval(counting: CountingTraces) -> None:
    with span("one", kind="llm"):
        pass
    deadline = time.monotonic() + 5
    while not counting.batches and time.monotonic() < deadline:
        time.sleep(0.02)
    assert counting.batches == [1]


@pytest.mark.parametrize("counting", [50], indirect=True)
def test_a_hung_store_drops_the_oldest_and_never_blocks(
    counting: CountingTraces, caplog: pytest.LogCaptureFixture
) -> None:
    counting.gate.clear()  # the store hangs
    with span("first", kind="llm"):
        pass
    time.sleep(0.4)  # the writer holds "first" and waits on the store
    started = time.perf_counter()
    names = [f"t{i}" for i in range(120)]
    for name in names:
        with span(name, kind="llm"):
            pass
    assert time.perf_counter() - started < 1.0
    rec = recorder_module.recorder()
    assert rec.queued == 50 and rec.dropped == 70
    assert "trace queue is full" in caplog.text
    assert not flush_traces(0.2)  # still hung: flush gives up at its timeout
    counting.gate.set()
    assert flush_traces(10)
    calls = current_workspace().store.traces.calls(CallQuery())
    # the newest 50 were kept, the oldest dropped
    assert len(calls) == 51
    assert rec.written == 51


def test_store_errors_are_logged_not_raised(
    counting: CountingTraces, caplog: pytest.LogCaptureFixture
) -> None:
    counting.fail = StoreError("cannot use the store at sqlite:///x: disk I/O error")
    with caplog.at_level(logging.WARNING, logger="shipyard.tracing"):
        with trace("request"):
            pass
        assert flush_traces(10)
    assert "cannot write 1 trace(s) to test store, dropped: cannot use the store" in caplog.text
    assert recorder_module.recorder().dropped == 1
    counting.fail = None
    with trace("after"):
        pass
    assert flush_traces(10)
    assert recorder_module.recorder().written == 1


def _llm(name: str, **attributes: Any) -> Any:
    return span(name, kind="llm", attributes=attributes)


def test_totals_and_calls_of_a_user_trace_around_several_calls() -> None:
    with trace("rag-answer") as root:
        with span("retrieve"):
            pass
        with _llm(
            "chat fast",
            **{
                genai.OPERATION_NAME: "chat",
                genai.REQUEST_MODEL: "fast",
                genai.RESPONSE_MODEL: "openai/gpt-4o-mini",
                genai.PROVIDER_NAME: "openai",
                genai.TARGET: "openai/gpt-4o-mini",
                genai.USAGE_INPUT_TOKENS: 10,
                genai.USAGE_OUTPUT_TOKENS: 5,
                genai.COST_USD: 0.002,
                genai.KEY_ID: "key1",
                genai.PROJECT: "support",
                genai.STREAM: True,
                genai.PROMPT_REF: "prompt:support@3",
            },
        ):
            with span(
                "attempt openai/gpt-4o-mini",
                kind="attempt",
                attributes={genai.USAGE_INPUT_TOKENS: 999},
            ):
                pass
        with _llm(
            "text_completion local/gemma",
            **{
                genai.OPERATION_NAME: "text_completion",
                genai.REQUEST_MODEL: "local/gemma",
                genai.USAGE_INPUT_TOKENS: 4,
                genai.CACHE: "semantic",
            },
        ):
            pass
        with pytest.raises(TimeoutError):
            with _llm(
                "embeddings local/minilm",
                **{genai.OPERATION_NAME: "embeddings", genai.REQUEST_MODEL: "local/minilm"},
            ):
                raise TimeoutError("upstream took too long")
    assert flush_traces(10)
    store = current_workspace().store.traces
    record, spans = store.get(root.trace_id)
    assert record.name == "rag-answer" and record.status == "ok"
    assert record.model == "fast"  # the first call's
    assert (record.key_id, record.project) == ("key1", "support")
    assert (record.prompt_tokens, record.completion_tokens) == (14, 5)  # attempts not counted
    assert record.cost_usd == pytest.approx(0.002)
    assert record.cache_hit is True and record.span_count == 6
    calls = store.calls(CallQuery())
    assert [(c.operation, c.model, c.status) for c in calls] == [
        ("chat", "fast", "ok"),
        ("completion", "local/gemma", "ok"),
        ("embedding", "local/minilm", "error"),
    ]
    chat, completion, embed = calls
    assert chat.provider == "openai" and chat.target == "openai/gpt-4o-mini"
    assert chat.stream is True and chat.prompt_ref == "prompt:support@3"
    assert chat.key_id == "key1" and chat.cost_usd == 0.002
    assert completion.cache == "semantic" and completion.key_id is None
    assert embed.error_type == "TimeoutError"
    assert all(c.trace_id == root.trace_id for c in calls)
    assert {c.span_id for c in calls} <= {s.span_id for s in spans}


def test_a_trace_whose_root_is_the_llm_span() -> None:
    with _llm("chat m", **{genai.REQUEST_MODEL: "m", genai.USAGE_OUTPUT_TOKENS: 3}) as root:
        with span("auth", kind="stage"):
            pass
    with pytest.raises(ValueError), _llm("chat m", **{genai.REQUEST_MODEL: "m"}) as failed:
        raise ValueError("refused")
    assert flush_traces(10)
    store = current_workspace().store.traces
    record, _ = store.get(root.trace_id)
    assert (record.name, record.model, record.completion_tokens, record.span_count) == (
        "chat m",
        "m",
        3,
        2,
    )
    record, _ = store.get(failed.trace_id)
    assert record.status == "error" and record.error == "ValueError: refused"
    assert [c.error_type for c in store.calls(CallQuery())] == [None, "ValueError"]


def test_default_workspace_is_resolved_when_written() -> None:
    ws: Workspace = current_workspace()
    with trace("here") as t:
        pass
    assert flush_traces(10)
    assert ws.store.traces.get(t.trace_id)[0].name == "here"


def test_a_trace_goes_to_the_store_of_its_time_not_of_the_write(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from shipyard.core.errors import NotFound
    from shipyard.core.settings import Settings

    first = Settings.load()
    with trace("under-the-first-home") as t:
        pass
    monkeypatch.setenv("SHIPYARD_HOME", str(tmp_path / "second"))  # as the next test does
    assert flush_traces(10)
    with pytest.raises(NotFound):
        current_workspace().store.traces.get(t.trace_id)
    ws = Workspace.open(first)
    try:
        assert ws.store.traces.get(t.trace_id)[0].name == "under-the-first-home"
    finally:
        ws.close()


def test_a_script_that_exits_without_flushing_still_stores_its_traces() -> None:
    import subprocess
    import sys

    script = (
        "import shipyard as sy\nwith sy.trace('short-script') as t:\n    pass\nprint(t.trace_id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    trace_id = done.stdout.strip()
    assert current_workspace().store.traces.get(trace_id)[0].name == "short-script"


def test_one_bad_trace_does_not_lose_its_batch_on_postgres(
    postgres_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.core.settings import Settings

    ws = Workspace.open(Settings.load(home=str(tmp_path / "pg"), db=postgres_url))
    rec = TraceRecorder(batch_size=100, interval_s=0.5, workspace=lambda: ws)
    monkeypatch.setattr(recorder_module, "_recorder", rec)
    try:
        ids = []
        for i in range(5):
            with _llm(
                "chat fast", **{genai.REQUEST_MODEL: "fast", genai.USAGE_INPUT_TOKENS: i}
            ) as s:
                ids.append(s.trace_id)
        long_model = "echo/" + "x" * 300  # a request's model name has no length limit
        with _llm(f"chat {long_model}", **{genai.REQUEST_MODEL: long_model}) as s:
            ids.append(s.trace_id)
        with trace("a trace the database refuses") as bad:
            bad.state.trace_id = "z" * 40  # longer than traces.trace_id: PostgreSQL says no
        assert flush_traces(10)
        assert rec.written == 6 and rec.dropped == 1  # one batch, retried trace by trace
        stored = {t.trace_id: t for t in ws.store.traces.list(TraceQuery())}
        assert set(stored) == set(ids)
        assert stored[ids[-1]].model == long_model[:255]
    finally:
        rec.close(5)
        ws.close()


def test_the_settings_of_a_trace_are_read_once_while_nothing_changes(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.core.settings import Settings

    loads: list[int] = []
    real = Settings.load.__func__  # type: ignore[attr-defined]

    def counting_load(cls: type[Settings], *args: Any, **kwargs: Any) -> Settings:
        loads.append(1)
        return real(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Settings, "load", classmethod(counting_load))
    monkeypatch.setattr(recorder_module, "_settings_cache", None)
    first = recorder_module._settings_now()
    for _ in range(50):
        assert recorder_module._settings_now() == first
    assert len(loads) == 1
    monkeypatch.setenv("SHIPYARD_HOME", str(tmp_path / "other"))
    assert recorder_module._settings_now() != first
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shipyard.toml").write_text('home = "elsewhere"\n')
    assert recorder_module._settings_now() == Settings.load()
    monkeypatch.delenv("SHIPYARD_HOME")
    assert recorder_module._settings_now().home == tmp_path / "elsewhere"  # type: ignore[union-attr]
    assert len(loads) == 5  # once per state of the environment (4), and the direct load


def test_a_written_trace_is_freed_without_the_cyclic_collector() -> None:
    import gc

    with trace("warm-up"):  # opens the store: its metadata's cycles are not the traces'
        pass
    assert flush_traces(10)
    gc.collect()
    gc.disable()
    try:
        for i in range(50):
            with trace(f"t{i}"), span("a"), span("b"):
                pass
        assert flush_traces(10)
        # spans and their trace point at each other until written; then the trace lets go,
        # so nothing of the 50 traces (150 spans, their dicts and lists) is left for gc
        with trace("next"):  # the writer's next batch, should it still hold the last one
            pass
        assert flush_traces(10)
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 50
