"""Shared fixtures: every test gets its own shipyard home; real services where they exist.

PostgreSQL and Chromium tests skip with a visible notice when the service is
missing on a laptop; with ``CI=true`` a missing service fails the run instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.workspace import reset_workspaces

PG_BASE = os.environ.get("SHIPYARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_missing: dict[str, str] = {}

_CLEARED = (
    "SHIPYARD_HOME",
    "SHIPYARD_DB",
    "SHIPYARD_BLOBS",
    "SHIPYARD_URI",
    "SHIPYARD_TOKEN",
    "SHIPYARD_S3_ENDPOINT_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "SHIPYARD_REDIS_URL",
    "SHIPYARD_OTLP_ENDPOINT",
    "SHIPYARD_GATEWAY_CONFIG",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("SHIPYARD_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    yield home
    _reset_llm_state()
    reset_workspaces()


def _reset_llm_state() -> None:
    """Per-process LLM state (circuit breakers, request paths) must not leak between tests."""
    import sys

    if "shipyard.llm.routing" in sys.modules:
        sys.modules["shipyard.llm.routing"].reset_breakers()
    if "shipyard.llm.api" in sys.modules:
        sys.modules["shipyard.llm.api"].configure(None)


def service_missing(name: str, why: str) -> None:
    """Skip (laptop) or fail (CI) a test whose service is not there."""
    if IN_CI:
        pytest.fail(f"{name} is required when CI=true: {why}")
    _missing[name] = why
    pytest.skip(f"{name} not available: {why}")


def _pg_available() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def require_service():  # type: ignore[no-untyped-def]
    """``require_service(name, why)``: skip on a laptop, fail under CI=true."""
    return service_missing


@pytest.fixture(scope="session")
def _pg_ok() -> str | None:
    return _pg_available()


@pytest.fixture
def postgres_url(_pg_ok: str | None) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if _pg_ok is not None:
        service_missing("PostgreSQL", _pg_ok)
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        reset_workspaces()
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on a real SQLite file and on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, why in sorted(_missing.items()):
        terminalreporter.write_line(
            f"NOTICE: tests needing {name} were skipped ({why}). "
            "Install and start it to run them; CI=true makes this a failure.",
            yellow=True,
            bold=True,
        )


class LiveServer:
    """A real uvicorn server on a free port, in a background thread.

    The listening socket is bound here and handed to uvicorn, so no other
    process can take the port between choosing and serving it.
    """

    def __init__(self, app: object) -> None:
        import socket
        import threading

        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="none",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


@pytest.fixture(scope="session")
def serve_app():  # type: ignore[no-untyped-def]
    """``with serve_app(app) as server: server.url`` — a real uvicorn server for ``app``."""
    return LiveServer


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A shipyard server over its own fresh store (not the test's SHIPYARD_HOME)."""
    from shipyard.core.settings import Settings
    from shipyard.server.app import create_app
    from shipyard.workspace import Workspace

    ws = Workspace.open(Settings.load(home=str(tmp_path / "server-home")))
    with LiveServer(create_app(ws)) as server:
        server.workspace = ws  # type: ignore[attr-defined]
        yield server
    ws.close()
