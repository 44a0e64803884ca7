"""Registry tests run on both metadata backends: a SQLite file and the real PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgres"])
def registry_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point SHIPYARD_DB at PostgreSQL for the ``postgres`` variant (blobs stay in the home)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("SHIPYARD_DB", url)
    return str(request.param)
