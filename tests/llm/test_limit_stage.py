"""The limits stage in a chain: refusals before the call, charges after it (streams too)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shipyard.core.clock import now_ms
from shipyard.core.errors import RateLimited
from shipyard.core.settings import Settings
from shipyard.llm.config import GatewayConfig
from shipyard.llm.keys import create_key, key_usage
from shipyard.llm.path import RequestPath
from shipyard.llm.stages.auth import AuthStage
from shipyard.llm.stages.base import Call, Chain
from shipyard.llm.stages.limits import LimitStage
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Outcome, ResponseStream, Usage
from shipyard.store.tables import llm_counters
from shipyard.workspace import Workspace

T0 = int(datetime(2031, 12, 5, 15, 48, 30, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(Settings.load(home=str(tmp_path / "limits-home")))
    yield workspace
    workspace.close()


class Clock:
    now = T0

    def __call__(self) -> int:
        return self.now


class Upstream:
    """The end of the chain: answers with usage and cost, whole or streamed, or from "cache"."""

    name = "route"

    def __init__(self) -> None:
        self.calls = 0
        self.cache: str | None = None
        self.cost = 0.25

    def handle(self, call: Call, next: object) -> Outcome:
        self.calls += 1
        usage = Usage(prompt_tokens=30, completion_tokens=20)
        if call.request.stream:
            stream = ResponseStream(_chunks(usage), model="openai/gpt-4o-mini", cache=self.cache)
            stream.cost_usd = 0.0 if self.cache else self.cost
            return stream
        return LLMResponse(
            model="openai/gpt-4o-mini",
            text="ok",
            usage=usage,
            cost_usd=0.0 if self.cache else self.cost,
            cache=self.cache,  # type: ignore[arg-type]
        )


def _chunks(usage: Usage) -> Iterator[Chunk]:
    yield Chunk(text="o")
    yield Chunk(text="k", finish_reason="stop", usage=usage)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(ws: Workspace, clock: Clock) -> tuple[Chain, Upstream]:
    config = GatewayConfig()
    upstream = Upstream()
    return Chain([AuthStage(config, ws), LimitStage(config, ws, clock=clock), upstream]), upstream


def request(stream: bool = False) -> LLMRequest:
    return LLMRequest.chat("openai/gpt-4o-mini", [{"role": "user", "content": "hi"}], stream=stream)


def counter_rows(ws: Workspace) -> int:
    with ws.store.db.read() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(llm_counters)).scalar_one())


def test_no_key_or_no_limits_touch_no_counter(ws: Workspace, path: tuple[Chain, Upstream]) -> None:
    chain, upstream = path
    chain(Call(request()))
    _, secret = create_key("p", workspace=ws)
    chain(Call(request(), credential=secret))
    assert upstream.calls == 2 and counter_rows(ws) == 0


def test_over_rpm_is_refused_before_the_upstream(
    ws: Workspace, path: tuple[Chain, Upstream]
) -> None:
    chain, upstream = path
    _, secret = create_key("p", name="ci-bot", rpm=2, workspace=ws)
    chain(Call(request(), credential=secret))
    chain(Call(request(), credential=secret))
    with pytest.raises(RateLimited) as e:
        chain(Call(request(), credential=secret))
    assert e.value.message == "key 'ci-bot' is over its limit of 2 requests/minute; retry in 30 s"
    assert e.value.retry_after_s == 30 and upstream.calls == 2


def test_tokens_and_cost_are_charged_after_the_call(
    ws: Workspace, path: tuple[Chain, Upstream], clock: Clock
) -> None:
    chain, _ = path
    key, secret = create_key("p", name="ci-bot", tpm=120, budget="0.6/day", workspace=ws)
    chain(Call(request(), credential=secret))
    usage = _usage(key, ws, clock)
    assert (usage.tokens_this_minute, usage.spent_usd) == (50, 0.25)
    chain(Call(request(), credential=secret))
    chain(Call(request(), credential=secret))  # 100 tokens, $0.50 before it: admitted
    with pytest.raises(RateLimited, match=r"over its budget of \$0.60/day \(spent \$0.75\)"):
        chain(Call(request(), credential=secret))


def test_a_stream_is_charged_when_it_ends(
    ws: Workspace, path: tuple[Chain, Upstream], clock: Clock
) -> None:
    chain, _ = path
    key, secret = create_key("p", tpm=1000, budget="5/hour", workspace=ws)
    stream = chain(Call(request(stream=True), credential=secret))
    assert isinstance(stream, ResponseStream)
    assert _usage(key, ws, clock).tokens_this_minute == 0  # nothing known yet
    assert "".join(c.text for c in stream) == "ok"
    usage = _usage(key, ws, clock)
    assert (usage.tokens_this_minute, usage.spent_usd) == (50, 0.25)


def test_a_cache_hit_counts_as_a_request_and_costs_nothing(
    ws: Workspace, path: tuple[Chain, Upstream], clock: Clock
) -> None:
    chain, upstream = path
    key, secret = create_key("p", rpm=10, tpm=1000, budget="5/day", workspace=ws)
    upstream.cache = "exact"
    chain(Call(request(), credential=secret))
    for _ in chain(Call(request(stream=True), credential=secret)):  # type: ignore[union-attr]
        pass
    usage = _usage(key, ws, clock)
    assert (usage.requests_this_minute, usage.tokens_this_minute, usage.spent_usd) == (2, 0, 0)


def test_cost_comes_from_the_price_table_when_the_answer_has_none(
    ws: Workspace, clock: Clock
) -> None:
    config = GatewayConfig.from_dict(
        {"prices": {"openai/gpt-4o-mini": {"input": 1_000_000, "output": 0}}}
    )
    upstream = Upstream()
    upstream.cost = 0.0
    chain = Chain([AuthStage(config, ws), LimitStage(config, ws, clock=clock), upstream])
    key, secret = create_key("p", budget="100/day", workspace=ws)
    chain(Call(request(), credential=secret))
    assert _usage(key, ws, clock).spent_usd == 30.0  # 30 prompt tokens at $1 each


def test_through_the_request_path_with_the_echo_provider(ws: Workspace) -> None:
    config = GatewayConfig.from_dict({"stages": ["auth", "limits", "route"]})
    _, secret = create_key("p", name="bot", rpm=1, workspace=ws)
    path = RequestPath(config, ws)
    try:
        chat = LLMRequest.chat("echo/x", [{"role": "user", "content": "hi"}])
        assert path.run(chat, credential=secret).text == "echo: hi"  # type: ignore[union-attr]
        with pytest.raises(RateLimited, match="'bot' is over its limit of 1 requests/minute"):
            path.run(chat, credential=secret)
    finally:
        path.close()


def _usage(key, ws, clock):  # type: ignore[no-untyped-def]
    from shipyard.llm.limits import Limiter
    from shipyard.llm.limits.sql_counters import SqlCounters

    return Limiter(SqlCounters.of(ws, clock=clock), clock=clock).usage(key)


def test_key_usage_reads_the_same_counters(ws: Workspace) -> None:
    config = GatewayConfig()
    key, secret = create_key("p", rpm=5, workspace=ws)
    chain = Chain([AuthStage(config, ws), LimitStage(config, ws), Upstream()])
    minute = now_ms() // 60_000
    chain(Call(request(), credential=secret))
    usage = key_usage(key, workspace=ws)
    if now_ms() // 60_000 == minute:  # not across a minute's end
        assert usage.requests_this_minute == 1
