"""Store fixtures: a fresh ``SqlStore`` on SQLite and on PostgreSQL for every test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from shipyard.store.sql import SqlStore

_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
_PG_BASE = os.environ.get("SHIPYARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    s = SqlStore(store_url)
    yield s
    s.close()


@pytest.fixture
def experiment_id(store: SqlStore) -> int:
    return store.experiments.get_or_create("exp").id


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _pg_ok: str | None,
    require_service,  # type: ignore[no-untyped-def]
) -> Iterator[SqlStore]:
    """One store per module and backend, for read-only tests over a shared data set.

    Building the data once keeps the many search cases fast; tests that write
    use the function-scoped ``store`` instead.
    """
    if request.param == "sqlite":
        s = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('module') / 'store.db'}")
        yield s
        s.close()
        return
    if _pg_ok is not None:
        require_service("PostgreSQL", _pg_ok)
    import psycopg

    schema = f"m_{secrets.token_hex(6)}"
    with psycopg.connect(_PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    s = SqlStore(f"{_PG_BASE}?options=-csearch_path%3D{schema}")
    try:
        yield s
    finally:
        s.close()
        with psycopg.connect(_PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
