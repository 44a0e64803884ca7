"""Usage aggregation: known calls in, known bucket sums and percentiles out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.core.settings import Settings
from shipyard.llm import usage as u
from shipyard.store.trace_records import LLMCallRecord, SpanRecord, TraceRecord
from shipyard.workspace import Workspace, current_workspace

T0 = 1_700_000_000_000 - 1_700_000_000_000 % u.DAY_MS  # midnight UTC


def call(
    at: int,
    latency: float,
    *,
    model: str = "openai/gpt-4o-mini",
    key: str | None = "k1",
    status: str = "ok",
    tokens: tuple[int, int] = (10, 5),
    cost: float = 0.001,
    cache: str | None = None,
    n: int = 0,
) -> LLMCallRecord:
    return LLMCallRecord(
        trace_id=f"t{at}-{n}",
        span_id=f"s{at}-{n}",
        started_at=at,
        operation="chat",
        model=model,
        status=status,
        latency_ms=latency,
        key_id=key,
        project="support",
        error_type=None if status == "ok" else "ProviderError",
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        cost_usd=cost,
        cache=cache,
    )


def test_percentiles_interpolate_like_numpy() -> None:
    values = [10.0 * i for i in range(1, 11)]  # 10 … 100
    assert u.percentile(values, 50) == pytest.approx(55.0)
    assert u.percentile(values, 95) == pytest.approx(95.5)
    assert u.percentile([7.0], 95) == 7.0
    assert u.percentile([], 50) is None
    assert u.percentile([3.0, 1.0, 2.0], 0) == 1.0
    assert u.percentile([3.0, 1.0, 2.0], 100) == 3.0


def test_bucket_width_follows_the_range() -> None:
    assert u.bucket_for(u.RANGES["1h"]) == "minute"
    assert u.bucket_for(u.RANGES["24h"]) == "hour"
    assert u.bucket_for(u.RANGES["7d"]) == "hour"
    assert u.bucket_for(u.RANGES["30d"]) == "day"


def test_hour_buckets_sum_tokens_cost_and_take_percentiles() -> None:
    calls = [call(T0 + i * 60_000, 10.0 * (i + 1), n=i) for i in range(10)]  # first hour
    calls += [
        call(T0 + 2 * u.HOUR_MS + 5, 200.0, model="anthropic/claude", key=None, cost=0.5),
        call(T0 + 2 * u.HOUR_MS + 9, 300.0, status="error", tokens=(7, 0), cost=0.0),
        call(T0 + 2 * u.HOUR_MS + 11, 1.0, cache="exact", cost=0.0),
        call(T0 - 1, 5.0),  # before the range: ignored
        call(T0 + 4 * u.HOUR_MS, 5.0),  # at `until`: ignored
    ]
    got = u.summarize(calls, since=T0, until=T0 + 4 * u.HOUR_MS)
    assert got.bucket == "hour"  # four hours: more than two
    assert got.times == [T0 + h * u.HOUR_MS for h in range(4)]

    mini = got.by_model["openai/gpt-4o-mini"]
    assert [s.requests for s in mini] == [10, 0, 2, 0]
    assert mini[0].prompt_tokens == 100 and mini[0].completion_tokens == 50
    assert mini[0].tokens == 150
    assert mini[0].cost_usd == pytest.approx(0.01)
    assert mini[0].p50_ms == pytest.approx(55.0) and mini[0].p95_ms == pytest.approx(95.5)
    assert mini[1].p50_ms is None and mini[1].cost_usd == 0.0  # a quiet hour
    assert mini[2].errors == 1 and mini[2].cache_hits == 1
    assert mini[2].p50_ms == pytest.approx(150.5)
    assert got.by_model["anthropic/claude"][2].requests == 1

    assert set(got.by_key) == {"k1", u.NO_KEY}
    assert [s.requests for s in got.by_key["k1"]] == [10, 0, 2, 0]
    assert got.by_key[u.NO_KEY][2].cost_usd == pytest.approx(0.5)

    assert got.totals.requests == 13 and got.totals.errors == 1
    assert got.totals.prompt_tokens == 10 * 10 + 10 + 7 + 10
    assert got.totals.cost_usd == pytest.approx(0.51)
    # totals per model: largest cost first
    assert list(got.model_totals) == ["anthropic/claude", "openai/gpt-4o-mini"]
    assert got.model_totals["openai/gpt-4o-mini"].requests == 12
    assert got.model_totals["openai/gpt-4o-mini"].error_rate == pytest.approx(1 / 12)
    assert list(got.key_totals) == [u.NO_KEY, "k1"]


def test_buckets_start_on_whole_units() -> None:
    since = T0 + 90_000 + 123  # 1.5 minutes past midnight
    got = u.summarize([call(since, 1.0)], since=since, until=since + 10 * 60_000)
    assert got.bucket == "minute"
    assert got.times[0] == T0 + 60_000
    assert len(got.times) == 11
    assert got.by_model["openai/gpt-4o-mini"][0].requests == 1

    month = u.summarize([call(T0 + 3 * u.DAY_MS + 7, 1.0)], since=T0, until=T0 + 30 * u.DAY_MS)
    assert month.bucket == "day" and len(month.times) == 30
    assert [s.requests for s in month.by_model["openai/gpt-4o-mini"]][:4] == [0, 0, 0, 1]


def test_bad_ranges_say_what_to_use() -> None:
    with pytest.raises(InvalidInput, match="1h, 24h, 7d, 30d"):
        u.range_ms("2w")
    with pytest.raises(InvalidInput, match="not after"):
        u.summarize([], since=T0, until=T0)
    with pytest.raises(InvalidInput, match="minute, hour, day"):
        u.summarize([], since=T0, until=T0 + 1, bucket="week")


def test_usage_reads_the_calls_the_store_recorded() -> None:
    ws: Workspace = current_workspace()
    now = T0 + 10 * u.DAY_MS
    records = [call(now - 30 * 60_000 + i, 20.0 + i, n=i) for i in range(4)]
    records.append(call(now - 3 * u.HOUR_MS, 9.0, model="echo/echo", key="k2", n=9))
    traces = [
        TraceRecord(trace_id=c.trace_id, name="llm", started_at=c.started_at, duration_ms=1.0)
        for c in records
    ]
    spans = [
        SpanRecord(
            trace_id=c.trace_id,
            span_id=c.span_id,
            parent_id=None,
            name="chat",
            kind="llm",
            start_us=c.started_at * 1000,
            duration_ms=c.latency_ms,
        )
        for c in records
    ]
    ws.store.traces.record(traces, spans, records)

    hour = u.usage(ws, last="1h", until=now)
    assert hour.bucket == "minute" and len(hour.times) == 60
    assert set(hour.by_model) == {"openai/gpt-4o-mini"}
    assert hour.totals.requests == 4
    assert hour.totals.p50_ms == pytest.approx(21.5)

    day = u.usage(ws, last="24h", until=now)
    assert day.bucket == "hour" and set(day.by_key) == {"k1", "k2"}
    assert day.totals.requests == 5

    only = u.usage(ws, since=now - u.DAY_MS, until=now, model="echo/echo")
    assert set(only.model_totals) == {"echo/echo"}


def _store(ws: Workspace, records: list[LLMCallRecord]) -> None:
    traces = [
        TraceRecord(trace_id=c.trace_id, name="llm", started_at=c.started_at, duration_ms=1.0)
        for c in records
    ]
    spans = [
        SpanRecord(c.trace_id, c.span_id, None, "chat", "llm", c.started_at * 1000, c.latency_ms)
        for c in records
    ]
    ws.store.traces.record(traces, spans, records)


@pytest.fixture
def db_ws(store_url: str) -> Iterator[Workspace]:
    """A workspace on SQLite, then on PostgreSQL."""
    workspace = Workspace.open(Settings.load(db=store_url))
    yield workspace
    workspace.close()


def test_sums_are_exact_beyond_the_latency_sample(db_ws: Workspace) -> None:
    """The database adds up every call; only the percentiles come from a sample.

    Before, usage read at most a fixed number of calls, oldest first, so the
    newest (the last hour of a 24 h view) were silently missing.
    """
    now = T0 + 10 * u.DAY_MS
    models = ("openai/gpt-4o-mini", "anthropic/claude", "echo/echo")
    keys = ("k1", "k2", None)
    records = [
        call(
            now - u.DAY_MS + 37 * i * 60_000 % u.DAY_MS + i,  # spread over the day
            float(i % 97),
            model=models[i % 3],
            key=keys[i % 5 % 3],
            status="error" if i % 11 == 0 else "ok",
            tokens=(i % 13, i % 7),
            cost=0.001 * (i % 5),
            cache="exact" if i % 17 == 0 else None,
            n=i,
        )
        for i in range(600)
    ]
    records.append(call(now - 1, 5.0, model="echo/echo", key="k1", n=9999))  # the newest call
    records = [replace(c, trace_id=f"t{i}", span_id=f"s{i}") for i, c in enumerate(records)]
    _store(db_ws, records)

    got = u.usage(db_ws, since=now - u.DAY_MS, until=now, latency_sample=50)
    want = u.summarize(records, since=now - u.DAY_MS, until=now)  # every call, in memory
    assert got.sampled and 40 <= got.sampled_calls <= 50
    assert got.totals.requests == 601
    for field in ("requests", "errors", "cache_hits", "prompt_tokens", "completion_tokens"):
        assert getattr(got.totals, field) == getattr(want.totals, field), field
        for name in want.by_model:
            assert [getattr(s, field) for s in got.by_model[name]] == [
                getattr(s, field) for s in want.by_model[name]
            ]
        for name in want.by_key:
            assert [getattr(s, field) for s in got.by_key[name]] == [
                getattr(s, field) for s in want.by_key[name]
            ]
    assert got.totals.cost_usd == pytest.approx(want.totals.cost_usd)
    assert set(got.by_key) == {"k1", "k2", u.NO_KEY}
    assert list(got.model_totals) == list(want.model_totals)
    assert got.by_model["echo/echo"][-1].requests == want.by_model["echo/echo"][-1].requests >= 1
    assert got.totals.p50_ms is not None and 0 <= got.totals.p50_ms <= 96

    exact = u.usage(db_ws, since=now - u.DAY_MS, until=now)  # the sample holds them all
    assert not exact.sampled and exact.sampled_calls == 601
    assert exact.totals.p50_ms == pytest.approx(want.totals.p50_ms)
    assert exact.by_model["anthropic/claude"][3].p95_ms == pytest.approx(
        want.by_model["anthropic/claude"][3].p95_ms
    )

    totals = u.key_totals(db_ws, since=now - u.DAY_MS, until=now)
    assert {k: v.requests for k, v in totals.items()} == {
        k: v.requests for k, v in want.key_totals.items()
    }
    assert totals["k1"].cost_usd == pytest.approx(want.key_totals["k1"].cost_usd)
