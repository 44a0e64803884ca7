"""The cache stage in a chain with a counting upstream, on real SQLite and PostgreSQL stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.core.settings import Settings
from shipyard.llm.cache import clear_cache, local
from shipyard.llm.config import CacheConfig, GatewayConfig, TracingConfig
from shipyard.llm.key_records import VirtualKey
from shipyard.llm.stages.base import Call, Chain
from shipyard.llm.stages.cache import CacheStage
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Outcome, ResponseStream, Usage
from shipyard.workspace import Workspace

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


class Upstream:
    """A terminal stage that counts calls; ``mode`` makes it fail or end oddly."""

    name = "upstream"

    def __init__(self) -> None:
        self.calls = 0
        self.mode = "ok"
        self._lock = threading.Lock()

    def handle(self, call: Call, next: Any) -> Outcome:
        with self._lock:
            self.calls += 1
        request = call.request
        if self.mode == "error":
            raise ProviderError("upstream down", provider="fake", retryable=True)
        if request.operation == "embedding":
            vectors = tuple((float(self.calls), float(len(t))) for t in request.texts)
            return LLMResponse(model="fake/emb", embeddings=vectors, usage=Usage(3, 0))
        text = f"Paris, said call {self.calls}. Truly  Paris.\n"
        finish = "content_filter" if self.mode == "filtered" else "stop"
        if request.stream:
            return ResponseStream(
                self._chunks(text, finish), model="fake/big", provider="fake", id=f"r{self.calls}"
            )
        return LLMResponse(
            model="fake/big",
            text=text,
            finish_reason=finish,
            usage=Usage(7, 6),
            provider="fake",
            id=f"r{self.calls}",
            cost_usd=0.25,
        )

    def _chunks(self, text: str, finish: str) -> Iterator[Chunk]:
        for word in text.split(" "):
            yield Chunk(text=word + " ")
            if self.mode == "stream_error":
                raise ProviderError("connection reset mid-stream", provider="fake")
        yield Chunk(finish_reason=finish, usage=Usage(7, 6))


@pytest.fixture
def ws(store_url: str, tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.open(Settings.load(db=store_url, home=str(tmp_path / "home")))
    yield w
    w.close()


def config(**cache: Any) -> GatewayConfig:
    cache.setdefault("exact", True)
    return GatewayConfig(cache=CacheConfig(**cache), tracing=TracingConfig(enabled=False))


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def __call__(self) -> int:
        return self.now


def chain(cfg: GatewayConfig, ws: Workspace, **kw: Any) -> tuple[Chain, Upstream]:
    upstream = Upstream()
    return Chain([CacheStage(cfg, ws, **kw), upstream]), upstream


def ask(c: Chain, request: LLMRequest | None = None, **call: Any) -> Outcome:
    return c(Call(request=request or LLMRequest.chat("fast", QUESTION), **call))


def whole(outcome: Outcome) -> LLMResponse:
    assert isinstance(outcome, LLMResponse)
    return outcome


def test_exact_hit_is_free_and_marked(ws: Workspace) -> None:
    c, upstream = chain(config(), ws)
    first = whole(ask(c))
    assert first.cache is None and first.cost_usd == 0.25
    call = Call(request=LLMRequest.chat("fast", QUESTION))
    second = whole(c(call))
    assert upstream.calls == 1
    assert second.cache == "exact" and call.attributes["shipyard.cache"] == "exact"
    assert (second.text, second.finish_reason, second.usage) == (first.text, "stop", Usage(7, 6))
    assert second.model == "fake/big" and second.provider == "fake" and second.id == first.id
    assert second.cost_usd == 0.0 and second.attempts == 0


def test_irrelevant_fields_hit_and_params_that_matter_miss(ws: Workspace) -> None:
    c, upstream = chain(config(), ws)
    ask(c, LLMRequest.chat("fast", QUESTION, params={"temperature": 0, "max_tokens": 50}))
    same = LLMRequest.chat(
        "fast",
        QUESTION,
        params={"max_tokens": 50.0, "temperature": 0.0},
        user="u",
        metadata={"a": "b"},
    )
    assert whole(ask(c, same)).cache == "exact"
    assert upstream.calls == 1
    hotter = LLMRequest.chat("fast", QUESTION, params={"temperature": 0.9, "max_tokens": 50})
    assert whole(ask(c, hotter)).cache is None
    assert whole(ask(c, LLMRequest.chat("other", QUESTION))).cache is None
    assert upstream.calls == 3


def test_ttl_expiry_with_an_injected_clock(ws: Workspace) -> None:
    clock = Clock()
    c, upstream = chain(config(ttl_s=60), ws, clock=clock)
    ask(c)
    clock.now += 59_999
    assert whole(ask(c)).cache == "exact"
    # a second workspace on the same database: no memory, so SQL's expiry is what decides
    other = Workspace.open(ws.settings)
    try:
        c2, upstream2 = chain(config(ttl_s=60), other, clock=clock)
        assert whole(ask(c2)).cache == "exact"
        clock.now += 1
        assert whole(ask(c2)).cache is None and upstream2.calls == 1
    finally:
        other.close()
    assert whole(ask(c)).cache == "exact"  # c2's fresh answer, stored at the new time
    assert upstream.calls == 1


def test_no_ttl_never_expires(ws: Workspace) -> None:
    clock = Clock()
    c, upstream = chain(config(ttl_s=None), ws, clock=clock)
    ask(c)
    clock.now += 10 * 365 * 86_400_000
    assert whole(ask(c)).cache == "exact" and upstream.calls == 1


def key(kid: str, project: str) -> VirtualKey:
    return VirtualKey(id=kid, name=kid, project=project, prefix="sk-sy-xx")


def test_key_scope_keeps_keys_apart(ws: Workspace) -> None:
    c, upstream = chain(config(scope="key"), ws)
    ask(c, key=key("ka", "p"))
    assert whole(ask(c, key=key("kb", "p"))).cache is None
    assert whole(ask(c, key=key("ka", "p"))).cache == "exact"
    assert upstream.calls == 2


def test_project_scope_shares_within_a_project(ws: Workspace) -> None:
    c, upstream = chain(config(scope="project"), ws)
    ask(c, key=key("ka", "support"))
    assert whole(ask(c, key=key("kb", "support"))).cache == "exact"
    assert whole(ask(c, key=key("kc", "sales"))).cache is None
    assert whole(ask(c, project="support")).cache == "exact"
    assert whole(ask(c)).cache is None  # no key, no project: global
    assert upstream.calls == 3


def test_global_scope_shares_across_keys(ws: Workspace) -> None:
    c, upstream = chain(config(scope="global"), ws)
    ask(c, key=key("ka", "support"))
    assert whole(ask(c, key=key("kb", "sales"))).cache == "exact"
    assert upstream.calls == 1


def test_stream_served_from_a_whole_answer(ws: Workspace) -> None:
    c, upstream = chain(config(), ws)
    first = whole(ask(c))
    stream = ask(c, LLMRequest.chat("fast", QUESTION, stream=True))
    assert isinstance(stream, ResponseStream) and stream.cache == "exact"
    chunks = list(stream)
    assert len(chunks) > 3
    assert "".join(ch.text for ch in chunks) == first.text
    assert chunks[-1].finish_reason == "stop" and chunks[-1].usage == Usage(7, 6)
    assert stream.response is not None and stream.response.cache == "exact"
    assert stream.response.text == first.text and stream.attempts == 0
    assert upstream.calls == 1


def test_whole_answer_served_from_a_stored_stream(ws: Workspace) -> None:
    c, upstream = chain(config(), ws)
    stream = ask(c, LLMRequest.chat("fast", QUESTION, stream=True))
    assert isinstance(stream, ResponseStream)
    text = "".join(ch.text for ch in stream)
    hit = whole(ask(c))
    assert hit.cache == "exact" and hit.text == text and hit.usage == Usage(7, 6)
    assert upstream.calls == 1


@pytest.mark.parametrize("mode", ["error", "stream_error", "filtered"])
def test_failed_answers_are_not_stored(ws: Workspace, mode: str) -> None:
    c, upstream = chain(config(), ws)
    upstream.mode = mode
    stream = mode == "stream_error"
    request = LLMRequest.chat("fast", QUESTION, stream=stream)
    with pytest.raises(ProviderError) if mode != "filtered" else nullcontext():
        outcome = ask(c, request)
        if isinstance(outcome, ResponseStream):
            list(outcome)
    assert ws.store.llm_cache.count() == 0  # type: ignore[attr-defined]
    upstream.mode = "ok"
    assert whole(ask(c)).cache is None


def test_a_cancelled_stream_is_not_stored(ws: Workspace) -> None:
    c, _upstream = chain(config(), ws)
    stream = ask(c, LLMRequest.chat("fast", QUESTION, stream=True))
    assert isinstance(stream, ResponseStream)
    next(iter(stream))
    stream.close()
    assert stream.response is not None and stream.response.finish_reason == "cancelled"
    assert ws.store.llm_cache.count() == 0  # type: ignore[attr-defined]


def test_no_cache_call_neither_reads_nor_writes(ws: Workspace) -> None:
    c, upstream = chain(config(), ws)
    ask(c, cache=False)
    assert ws.store.llm_cache.count() == 0  # type: ignore[attr-defined]
    ask(c)
    assert whole(ask(c, cache=False)).cache is None
    assert upstream.calls == 3


def test_disabled_cache_is_a_pass_through(ws: Workspace) -> None:
    c, upstream = chain(config(exact=False), ws)
    ask(c)
    ask(c)
    assert upstream.calls == 2


def test_embeddings_are_cached_exactly(ws: Workspace) -> None:
    c, upstream = chain(config(semantic=True, embedder="echo/embed"), ws)
    request = LLMRequest.embedding("fast", ["a", "bb"])
    first = whole(ask(c, request))
    second = whole(ask(c, request))
    assert second.cache == "exact" and second.embeddings == first.embeddings
    assert upstream.calls == 1


def test_entries_are_shared_across_workspaces_and_clears_seen(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Workspace.open(ws.settings)
    try:
        c1, _ = chain(config(), ws)
        c2, upstream2 = chain(config(), other)
        ask(c1)
        assert whole(ask(c2)).cache == "exact" and upstream2.calls == 0
        assert clear_cache(workspace=ws) == 1
        assert whole(ask(c1)).cache is None  # this workspace forgot at once
        monkeypatch.setattr(local, "CHECK_INTERVAL_S", 0.0)  # the other notices on its next look
        clear_cache(workspace=ws)
        assert whole(ask(c2)).cache is None
    finally:
        other.close()


def test_clear_by_model(ws: Workspace) -> None:
    c, _upstream = chain(config(), ws)
    ask(c)
    ask(c, LLMRequest.chat("other", QUESTION))
    assert clear_cache("fast", workspace=ws) == 1
    assert whole(ask(c, LLMRequest.chat("other", QUESTION))).cache == "exact"
    assert whole(ask(c)).cache is None


def test_a_remote_workspace_cannot_cache(tmp_path: Path) -> None:
    remote = Workspace.open(Settings.load(uri="http://127.0.0.1:9", home=str(tmp_path)))
    with pytest.raises(InvalidInput, match="direct database access"):
        CacheStage(config(), remote)
    CacheStage(config(exact=False), remote)  # no cache configured: nothing needed


def chat(text: str, **kw: Any) -> LLMRequest:
    return LLMRequest.chat("fast", [{"role": "user", "content": text}], **kw)


def semantic(**cache: Any) -> GatewayConfig:
    cache = {"exact": False, "semantic": True, "threshold": 0.9, "embedder": "echo/embed", **cache}
    return config(**cache)


def test_semantic_hit_for_a_paraphrase_and_miss_below_threshold(ws: Workspace) -> None:
    # echo embeddings are hashed bags of words: 0.935 and 0.857 against the question below
    c, upstream = chain(semantic(), ws)
    first = whole(ask(c, chat("What is the capital of France?")))
    hit = whole(ask(c, chat("what is the capital city of France?")))
    assert hit.cache == "semantic" and hit.text == first.text and hit.cost_usd == 0.0
    assert hit.model == "fake/big" and hit.attempts == 0
    assert whole(ask(c, chat("What is the capital of Spain?"))).cache is None
    assert whole(ask(c, chat("How do I bake bread at home?"))).cache is None
    assert upstream.calls == 3


def test_semantic_needs_the_same_params(ws: Workspace) -> None:
    c, upstream = chain(semantic(), ws)
    ask(c, chat("What is the capital of France?", params={"temperature": 0}))
    other = chat("What is the capital of France?", params={"temperature": 0, "max_tokens": 5})
    assert whole(ask(c, other)).cache is None
    completion = LLMRequest.completion("fast", "user: What is the capital of France?")
    assert whole(ask(c, completion)).cache is None  # another operation, another group
    assert whole(ask(c, completion)).cache == "semantic"
    assert upstream.calls == 3


def test_exact_wins_over_semantic_and_semantic_streams(ws: Workspace) -> None:
    c, upstream = chain(semantic(exact=True), ws)
    first = whole(ask(c, chat("What is the capital of France?")))
    assert whole(ask(c, chat("What is the capital of France?"))).cache == "exact"
    stream = ask(c, chat("what is the capital city of France?", stream=True))
    assert isinstance(stream, ResponseStream) and stream.cache == "semantic"
    assert "".join(ch.text for ch in stream) == first.text
    assert upstream.calls == 1


def test_semantic_entries_expire(ws: Workspace) -> None:
    clock = Clock()
    c, upstream = chain(semantic(ttl_s=10), ws, clock=clock)
    ask(c, chat("What is the capital of France?"))
    clock.now += 10_000
    assert whole(ask(c, chat("what is the capital city of France?"))).cache is None
    assert upstream.calls == 2


def test_semantic_entries_of_another_workspace_are_picked_up(ws: Workspace) -> None:
    other = Workspace.open(ws.settings)
    try:
        c1, _ = chain(semantic(), ws)
        c2, upstream2 = chain(semantic(), other)
        assert (
            whole(ask(c2, chat("Name the largest ocean on Earth"))).cache is None
        )  # loads its group
        ask(c1, chat("What is the capital of France?"))  # written after c2 loaded
        assert whole(ask(c2, chat("what is the capital city of France?"))).cache == "semantic"
        clear_cache(workspace=ws)
        assert whole(ask(c2, chat("what is the capital city of France?"))).cache is None
        assert upstream2.calls == 2
    finally:
        other.close()


def test_cache_span_says_hit_miss_and_similarity(ws: Workspace) -> None:
    from shipyard.tracing import flush_traces, span

    cfg = semantic(exact=True)
    cfg = GatewayConfig(cache=cfg.cache, tracing=TracingConfig(enabled=True))
    c, _ = chain(cfg, ws)
    with span("test", workspace=ws) as root:
        ask(c, chat("What is the capital of France?"))
        ask(c, chat("What is the capital of France?"))
        ask(c, chat("what is the capital city of France?"))
    assert flush_traces()
    _, spans = ws.store.traces.get(root.trace_id)
    found = [s.attributes for s in spans if s.name == "cache"]
    assert [a["shipyard.cache"] for a in found] == ["miss", "exact", "semantic"]
    assert 0.9 <= found[2]["shipyard.cache.similarity"] < 1.0
    assert all(s.kind == "stage" for s in spans if s.name == "cache")


def test_expired_rows_are_swept_on_a_store(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    c, _ = chain(semantic(exact=True, ttl_s=1), ws, clock=clock)
    ask(c, chat("What is the capital of France?"))
    assert ws.store.llm_cache.count() == 2  # type: ignore[attr-defined]
    clock.now += 1000
    monkeypatch.setattr(local, "SWEEP_INTERVAL_S", 0.0)
    ask(c, chat("Name the largest ocean on Earth"))
    assert ws.store.llm_cache.count() == 2  # the two new entries; the expired two are gone


def test_threads_share_one_stage(ws: Workspace) -> None:
    from concurrent.futures import ThreadPoolExecutor

    c, upstream = chain(semantic(exact=True), ws)
    questions = [f"question number {i} about oceans" for i in range(4)]

    def work(i: int) -> str | None:
        return whole(ask(c, chat(questions[i % 4]))).cache

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(64)))
    assert results.count(None) == upstream.calls
    assert 4 <= upstream.calls < 40  # concurrent first askers may all miss; the rest hit
