"""Browser tests: a real uvicorn server in a thread and a real headless Chromium.

Playwright is only the driver here; it never downloads a browser. The system
Chromium is used, and its absence skips these tests on a laptop (fails under
``CI=true``) through the ``require_service`` fixture.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shipyard.core.settings import Settings
from shipyard.server.app import create_app
from shipyard.workspace import Workspace

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path(require_service: Callable[[str, str], None]) -> str:
    path = shutil.which("chromium")
    if path is None and os.access("/usr/bin/chromium", os.X_OK):
        path = "/usr/bin/chromium"
    if path is None:
        require_service("Chromium", "no 'chromium' on PATH or at /usr/bin/chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require_service(
            "Chromium", "the playwright package is not installed (pip install -e .[dev])"
        )
    assert path is not None
    return path


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium for the browser tests; each test opens its own page.

    Module-scoped: Playwright's sync API keeps an event loop running in the main
    thread while it is open, which would break every later test that calls asyncio.run.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records script errors; the test fails if any happened."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def e2e_workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.open(Settings.load(home=str(tmp_path / "e2e-home")))
    yield ws
    ws.close()


@pytest.fixture
def live_server(e2e_workspace: Workspace, serve_app: Any) -> Iterator[str]:
    """The real app under uvicorn on a free port, in a background thread; yields its URL."""
    with serve_app(create_app(e2e_workspace)) as server:
        yield server.url
