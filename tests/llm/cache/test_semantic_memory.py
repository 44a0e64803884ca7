"""The semantic cache's memory stays bounded, and its lookups never hold the lock across SQL.

On real SQLite and PostgreSQL stores; the repository is the real one, with a
hook in one subclass to run code while a query is in flight.
"""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from shipyard.llm.cache import groups
from shipyard.llm.cache.entries import CachedAnswer
from shipyard.llm.cache.local import local_state
from shipyard.llm.cache.semantic import SemanticCache
from shipyard.llm.types import Usage
from shipyard.store.sql import SqlStore
from shipyard.store.sql.llm_cache import CacheRow, SqlLLMCache, VectorRow

DIM = 64
NOW = 1_000_000
SCOPE = "fast|global"


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    s = SqlStore(store_url)
    yield s
    s.close()


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def put(repo: SqlLLMCache, group: str, seed: int, expires_at: int | None = None) -> None:
    answer = CachedAnswer(text=f"answer {seed}", finish_reason="stop", usage=Usage(1, 1), model="m")
    repo.insert(
        [
            CacheRow(
                scope=SCOPE,
                kind="semantic",
                request_hash=group,
                prompt_text=f"prompt {seed}",
                response=answer.to_json(),
                created_at=NOW,
                expires_at=expires_at,
                embedding=unit(seed).tobytes(),
            )
        ]
    )


def test_lookups_in_groups_without_entries_keep_no_vectors(store: SqlStore) -> None:
    # a client varying seed/temperature per request: every lookup is a new, empty group
    cache = SemanticCache(store.llm_cache, threshold=0.9, ttl_s=None)
    query = unit(1)
    cache.search(SCOPE, "warm-up", query, NOW)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(500):
            assert cache.search(SCOPE, f"params-{i}", query, NOW) is None
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    use = cache.memory()
    assert use.groups == 0 and use.vectors == 0
    assert use.empty_groups == 501  # remembered cheaply, so the next lookup skips SQL
    print(f"traced memory grew {grown / 1e6:.2f} MB over 500 empty groups")
    assert grown < 1_500_000, f"{grown / 1e6:.1f} MB for 500 empty groups"  # was 8.7 MB


def test_the_number_of_groups_is_capped(store: SqlStore) -> None:
    local_state(store.llm_cache).semantic = groups.GroupTable(max_groups=100, max_empty=50)
    cache = SemanticCache(store.llm_cache, threshold=0.9, ttl_s=None)
    for i in range(300):
        put(store.llm_cache, f"params-{i}", seed=i)
    for i in range(300):
        hit = cache.search(SCOPE, f"params-{i}", unit(i), NOW)
        assert hit is not None and hit.answer.text == f"answer {i}"
        assert cache.search(SCOPE, f"none-{i}", unit(i), NOW) is None
    use = cache.memory()
    assert use.groups == 100 and use.vectors == 100 and use.empty_groups == 50
    # a group evicted earlier is loaded again on its next lookup
    again = cache.search(SCOPE, "params-0", unit(0), NOW)
    assert again is not None and again.answer.text == "answer 0"


def test_the_default_bounds(store: SqlStore) -> None:
    table = local_state(store.llm_cache).semantic
    assert table is None  # made on first lookup
    assert groups.GroupTable().max_groups == 1000
    group = groups.VectorGroup(384)
    assert group.nbytes < 384 * 4 * 8  # room for a few vectors, not 64
    group.add([VectorRow(i, SCOPE, "g", unit(i).tobytes(), None) for i in range(1, 4)], NOW)
    assert group.n == 0  # wrong dimension: not comparable, not kept


def test_a_group_starts_small_and_grows_geometrically() -> None:
    group = groups.VectorGroup(DIM)
    sizes = set()
    for i in range(1, 101):
        group.add([VectorRow(i, SCOPE, "g", unit(i).tobytes(), None)], NOW)
        sizes.add(len(group.ids))
    assert group.n == 100 and sorted(sizes) == [4, 8, 16, 32, 64, 128]
    group.add([VectorRow(50, SCOPE, "g", unit(50).tobytes(), None)], NOW)
    assert group.n == 100  # an id already held is a duplicate


def test_expired_entries_leave_memory(store: SqlStore) -> None:
    repo = store.llm_cache
    cache = SemanticCache(repo, threshold=0.9, ttl_s=None)
    for i in range(8):
        put(repo, "g", seed=i, expires_at=NOW + 10 if i < 2 else NOW + 1000)
    put(repo, "short", seed=100, expires_at=NOW + 10)
    assert cache.search(SCOPE, "g", unit(0), NOW) is not None
    assert cache.search(SCOPE, "short", unit(100), NOW) is not None
    assert cache.memory().vectors == 9
    # two of eight expired: found at the next lookup, dropped from memory
    assert cache.search(SCOPE, "g", unit(0), NOW + 10) is None
    hit = cache.search(SCOPE, "g", unit(5), NOW + 10)
    assert hit is not None and hit.answer.text == "answer 5"
    assert cache.search(SCOPE, "short", unit(100), NOW + 10) is None
    use = cache.memory()
    assert use.vectors == 6 and use.groups == 1 and use.empty_groups == 1
    # a row expired before it reaches memory is never added
    put(repo, "g", seed=200, expires_at=NOW + 5)
    assert cache.search(SCOPE, "g", unit(200), NOW + 10) is None
    assert cache.memory().vectors == 6


class Hooked(SqlLLMCache):
    """The real repository, running ``hook`` once while a chosen query is in flight."""

    def __init__(self, repo: SqlLLMCache) -> None:
        super().__init__(repo.db)
        self.hooks: dict[str, Callable[[], None]] = {}

    def _run(self, name: str) -> None:
        hook = self.hooks.pop(name, None)
        if hook is not None:
            hook()

    def state(self):  # type: ignore[no-untyped-def]
        found = super().state()
        self._run("state")
        return found

    def vectors(self, *args, **kw):  # type: ignore[no-untyped-def]
        found = super().vectors(*args, **kw)
        self._run("vectors")
        return found

    def vectors_after(self, *args, **kw):  # type: ignore[no-untyped-def]
        found = super().vectors_after(*args, **kw)
        self._run("vectors_after")
        return found


def in_thread(work: Callable[[], object]) -> Callable[[], None]:
    """A hook that runs ``work`` in another thread and fails if that thread cannot finish."""

    def hook() -> None:
        failed: list[BaseException] = []

        def run() -> None:
            try:
                work()
            except BaseException as exc:  # re-raised below, in the looking-up thread
                failed.append(exc)

        t = threading.Thread(target=run)
        t.start()
        t.join(10)
        assert not t.is_alive(), "another lookup was blocked while SQL ran"
        if failed:
            raise failed[0]

    return hook


def test_sql_runs_outside_the_lock(store: SqlStore) -> None:
    repo = Hooked(store.llm_cache)
    cache = SemanticCache(repo, threshold=0.9, ttl_s=None)
    put(repo, "a", seed=1)
    put(repo, "b", seed=2)
    assert cache.search(SCOPE, "b", unit(2), NOW) is not None  # b loaded
    lock = local_state(repo).lock

    def holds_no_lock() -> None:
        assert lock.acquire(timeout=2), "the lock was held across SQL"
        lock.release()

    for name in ("state", "vectors", "vectors_after"):
        repo.hooks[name] = in_thread(holds_no_lock)
    put(repo, "b", seed=3)  # so the next refresh reads rows
    assert cache.search(SCOPE, "a", unit(1), NOW) is not None
    assert not repo.hooks  # every hook ran


def test_a_group_loaded_during_a_refresh_catches_up(store: SqlStore) -> None:
    repo = Hooked(store.llm_cache)
    cache = SemanticCache(repo, threshold=0.9, ttl_s=None)
    put(repo, "a", seed=1)
    put(repo, "b", seed=2)
    assert cache.search(SCOPE, "b", unit(2), NOW) is not None

    def meanwhile() -> None:
        # while a's first load is in flight: new rows, and another lookup applies them
        put(repo, "a", seed=3)
        put(repo, "b", seed=4)
        assert cache.search(SCOPE, "b", unit(4), NOW) is not None

    repo.hooks["vectors"] = in_thread(meanwhile)
    assert cache.search(SCOPE, "a", unit(1), NOW) is not None
    hit = cache.search(SCOPE, "a", unit(3), NOW)  # the row the refresh skipped (a was loading)
    assert hit is not None and hit.answer.text == "answer 3"
    table = local_state(repo).semantic
    assert sorted(table.groups) == [(SCOPE, "a"), (SCOPE, "b")]
    assert all(g.n == 2 for g in table.groups.values())


def test_threads_looking_up_while_rows_arrive_see_each_row_once(store: SqlStore) -> None:
    repo = store.llm_cache
    cache = SemanticCache(repo, threshold=0.99, ttl_s=None)
    names = [f"g{i}" for i in range(4)]
    for i, name in enumerate(names):
        put(repo, name, seed=i)
    errors: list[BaseException] = []

    def writer() -> None:
        for seed in range(10, 90):
            put(repo, names[seed % 4], seed=seed)

    def reader(k: int) -> None:
        try:
            for j in range(60):
                seed = (k * 7 + j) % 4
                hit = cache.search(SCOPE, names[seed], unit(seed), NOW)
                assert hit is not None and hit.answer.text == f"answer {seed}"
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader, args=(k,)) for k in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for seed in range(10, 90):  # every row written is found by its own vector
        hit = cache.search(SCOPE, names[seed % 4], unit(seed), NOW)
        assert hit is not None and hit.answer.text == f"answer {seed}"
    table = local_state(repo).semantic
    for (_, name), group in table.groups.items():
        ids = [int(i) for i in group.ids[: group.n]]
        assert ids == sorted(set(ids)), "a row applied twice or out of order"
        expected = [r.id for r in repo.vectors(SCOPE, name, up_to_id=table.seen_id, now=NOW)]
        assert ids == expected
