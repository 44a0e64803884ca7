"""The per-process memory in front of the exact cache is bounded in entries and in bytes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shipyard.llm.cache import local
from shipyard.llm.cache.entries import CachedAnswer
from shipyard.llm.cache.exact import ExactCache
from shipyard.llm.cache.local import LocalState, footprint, local_state
from shipyard.llm.types import Usage
from shipyard.store.sql import SqlStore

NOW = 1_000_000


def answer(text: str = "", embeddings: int = 0, dim: int = 0) -> CachedAnswer:
    vectors = tuple(tuple(0.5 for _ in range(dim)) for _ in range(embeddings)) or None
    return CachedAnswer(
        text=text, finish_reason="stop", usage=Usage(1, 1), model="m", embeddings=vectors
    )


def test_defaults_bound_entries_and_bytes() -> None:
    state = LocalState()
    assert state.max_answers == local.MAX_ANSWERS == 4096
    assert state.max_bytes == local.MAX_ANSWER_BYTES == 64 * 1024 * 1024


def test_answers_are_bounded_by_bytes_least_recently_used_first() -> None:
    state = LocalState(max_answers=10_000, max_bytes=1_000_000)
    big = "x" * 10_000
    for i in range(500):  # 5 MB of answers into a 1 MB memory
        state.remember(("exact", "s", str(i)), answer(big), None)
        if i == 1:
            assert state.answer(("exact", "s", "0"), NOW) is not None  # 0 is now recent
    assert state.answer_bytes <= 1_000_000
    assert 80 <= len(state.answers) <= 100
    assert state.answer_bytes == sum(cost for _, _, cost in state.answers.values())
    assert state.answer(("exact", "s", "499"), NOW) is not None
    assert state.answer(("exact", "s", "1"), NOW) is None


def test_answers_are_bounded_by_count() -> None:
    state = LocalState(max_answers=100)
    for i in range(1000):
        state.remember(i, answer("short"), None)
    assert len(state.answers) == 100 and next(iter(state.answers)) == 900


def test_an_answer_too_big_to_keep_is_not_kept() -> None:
    state = LocalState(max_bytes=1_000_000)
    state.remember("small", answer("hi"), None)
    huge = answer(embeddings=100, dim=384)  # 100 vectors as Python floats: ~1.2 MB
    assert footprint(huge) > 1_000_000
    state.remember("huge", huge, None)
    assert state.answer("huge", NOW) is None and state.answer("small", NOW) is not None
    state.remember("small", answer("hi"), None)  # remembering again replaces, not adds
    assert len(state.answers) == 1 and state.answer_bytes == footprint(answer("hi"))


def test_expired_and_cleared_answers_give_their_bytes_back() -> None:
    state = LocalState()
    state.remember("a", answer("x" * 1000), NOW + 10)
    assert state.answer_bytes > 1000
    assert state.answer("a", NOW + 10) is None and state.answer_bytes == 0
    state.remember("b", answer("y"), None)
    state.reset()
    assert state.answer_bytes == 0 and not state.answers


@pytest.fixture
def store(tmp_path: object) -> Iterator[SqlStore]:
    s = SqlStore(f"sqlite:///{tmp_path}/store.db")
    yield s
    s.close()


def test_exact_cache_reads_and_writes_stay_within_the_bound(store: SqlStore) -> None:
    repo = store.llm_cache
    state = local_state(repo)
    state.max_bytes = 200_000
    cache = ExactCache(repo, ttl_s=None)
    text = "z" * 5_000
    for i in range(100):
        row = cache.row("fast|global", f"h{i}", answer(text), "p", NOW)
        repo.insert([row])
        cache.remember(row, answer(text))
    assert state.answer_bytes <= 200_000 and len(state.answers) < 50
    state.reset()
    for i in range(100):  # read back from SQL: the same bound
        found = cache.get("fast|global", f"h{i}", NOW)
        assert found is not None and found.text == text
    assert state.answer_bytes <= 200_000 and len(state.answers) < 50
