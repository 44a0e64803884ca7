"""The llm_cache repository on SQLite and PostgreSQL: insert, indexed lookups, clear marker, expiry."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from shipyard.store.sql import SqlStore
from shipyard.store.sql.llm_cache import CacheRow


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    s = SqlStore(store_url)
    yield s
    s.close()


def row(scope: str, key: str, response: str, **kw: object) -> CacheRow:
    return CacheRow(
        scope=scope,
        kind=str(kw.pop("kind", "exact")),
        request_hash=key,
        prompt_text="p",
        response=response,
        created_at=int(kw.pop("created_at", 1000)),
        **kw,  # type: ignore[arg-type]
    )


def test_find_exact_is_newest_live_and_scoped(store: SqlStore) -> None:
    repo = store.llm_cache
    repo.insert([row("m|global", "h1", '"old"'), row("m|global", "h1", '"new"', expires_at=5000)])
    repo.insert([row("m|key:a", "h2", '"a"')])
    assert repo.find_exact("m|global", "h1", now=2000) == ('"new"', 5000)
    assert repo.find_exact("m|global", "h1", now=6000) == ('"old"', None)
    assert repo.find_exact("m|key:b", "h2", now=2000) is None
    assert repo.find_exact("m|key:a", "h2", now=2000) == ('"a"', None)
    assert repo.find_exact("m|key:a", "h2x", now=2000) is None


def test_vectors_by_group_and_since_an_id(store: SqlStore) -> None:
    repo = store.llm_cache
    v = np.arange(4, dtype=np.float32).tobytes()
    repo.insert(
        [
            row("m|global", "g1", "{}", kind="semantic", embedding=v),
            row("m|global", "g2", "{}", kind="semantic", embedding=v),
            row("m|global", "g1", "{}", kind="semantic", embedding=v, expires_at=1500),
            row("m|global", "g1", "{}"),  # an exact row is no vector
        ]
    )
    top = repo.state().max_id
    found = repo.vectors("m|global", "g1", up_to_id=top, now=1000)
    assert len(found) == 2 and found[0].embedding == v
    assert len(repo.vectors("m|global", "g1", up_to_id=top, now=2000)) == 1
    assert len(repo.vectors("m|global", "g1", up_to_id=found[0].id, now=1000)) == 1
    since = repo.vectors_after(found[0].id, up_to_id=top)
    assert [r.request_hash for r in since] == ["g2", "g1"]
    assert repo.response(found[0].id, now=1000) == ("{}", None)
    assert repo.response(found[1].id, now=2000) is None


def test_clear_changes_the_token_and_deletes_by_scope_or_model(store: SqlStore) -> None:
    repo = store.llm_cache
    assert repo.state().clear_token is None
    repo.insert(
        [
            row("fast|key:a", "h", "{}"),
            row("fast|key:b", "h", "{}"),
            row("fast_x|key:a", "h", "{}"),  # "_" must not match like a wildcard
            row("slow|global", "h", "{}"),
        ]
    )
    assert repo.clear("fast|key:a", now=1) == 1
    first = repo.state().clear_token
    assert first is not None
    assert repo.clear("fast", now=2) == 1
    second = repo.state().clear_token
    assert second not in (None, first)
    assert repo.count() == 2
    assert repo.clear(None, now=3) == 2
    assert repo.count() == 0
    assert repo.state().clear_token not in (None, second)


def test_delete_expired_keeps_entries_without_expiry(store: SqlStore) -> None:
    repo = store.llm_cache
    repo.insert([row("m|global", "a", "{}", expires_at=10), row("m|global", "b", "{}")])
    assert repo.delete_expired(now=10) == 1
    assert repo.count("m|global") == 1
