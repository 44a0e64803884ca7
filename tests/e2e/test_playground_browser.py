"""The prompt playground in a real browser against a real server: run, edit, save.

Runs go through the real request path to the ``echo`` provider, so the
output, the token counts and the trace are real; only the model is a fake.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import shipyard as sy
from shipyard.server.app import create_app
from shipyard.workspace import Workspace

pytestmark = pytest.mark.browser

SUPPORT = [
    {"role": "system", "content": "You answer questions about {{ product }}."},
    {"role": "user", "content": "{{ question }}"},
]


@pytest.fixture
def prompt(e2e_workspace: Workspace) -> str:
    return sy.prompts.create(
        "support", SUPPORT, model={"provider": "echo", "model": "echo"}, workspace=e2e_workspace
    ).ref


def test_run_edit_and_save_a_prompt(
    live_server: str, page: Any, prompt: str, e2e_workspace: Workspace
) -> None:
    from playwright.sync_api import expect  # installed when the browser fixture ran

    page.goto(f"{live_server}/ui/prompts")
    page.get_by_role("link", name="Open playground").click()
    page.wait_for_url("**/ui/prompts/support/playground")
    assert page.locator("[data-ref]").inner_text() == "prompt:support@1"
    assert page.get_by_label("Model", exact=True).input_value() == "echo/echo"

    page.get_by_label("product").fill("shipyard")
    page.get_by_label("question").fill("How do I roll back?")
    page.get_by_role("button", name="Run").click()
    output = page.locator("[data-output]")
    output.wait_for()
    assert output.inner_text() == "echo: How do I roll back?"
    assert page.locator("[data-stat='tokens']").inner_text() == "10 / 6"
    assert re.fullmatch(r"[\d.]+ m?s", page.locator("[data-stat='latency']").inner_text())
    assert page.locator("[data-stat='cost']").inner_text() == "$0"
    assert page.locator("[data-stat='model']").inner_text() == "echo/echo"
    assert page.locator("[data-stat='prompt']").inner_text() == "prompt:support@1"
    page.screenshot(path="/tmp/ui-playground.png", full_page=True)

    # edit the template: a new variable gets a field, the run is of the unsaved edit
    page.get_by_label("Message 2 template").fill("{{ question }} Answer as a {{ persona }}.")
    page.get_by_label("persona").fill("pirate")
    assert page.locator("[data-edited]").is_visible()
    page.get_by_role("button", name="Run").click()
    expect(output).to_have_text("echo: How do I roll back? Answer as a pirate.")
    assert page.locator("[data-result-badges]").inner_text() == "unsaved edit"
    assert page.locator("[data-stat='prompt']").inner_text() == "unsaved edit of prompt:support@1"

    page.get_by_role("button", name="Save as new version").click()
    saved = page.locator("[data-saved-ref]")
    saved.wait_for()
    assert saved.inner_text() == "prompt:support@2"
    assert page.locator("[data-save-result]").inner_text().startswith("Saved as")
    assert page.locator("[data-ref]").inner_text() == "prompt:support@2"
    assert not page.locator("[data-edited]").is_visible()
    spec = sy.prompts.get("prompt:support@2", workspace=e2e_workspace)
    assert spec.messages[1].content == "{{ question }} Answer as a {{ persona }}."

    page.get_by_role("button", name="Save as new version").click()
    page.wait_for_selector("[data-save-result][data-created='false']")
    assert "no new version was made" in page.locator("[data-save-result]").inner_text()
    assert len(e2e_workspace.store.assets.versions("prompt", "support")) == 2

    page.get_by_role("button", name="Run").click()
    expect(page.locator("[data-stat='prompt']")).to_have_text("prompt:support@2")
    page.locator("[data-stat='trace'] a").click()
    page.wait_for_url("**/ui/traces/*")
    page.wait_for_selector(".bubble[data-role='user']")
    assert "pirate" in page.locator(".bubble[data-role='user']").first.inner_text()

    page.goto(f"{live_server}/ui/prompts/support/playground")
    page.get_by_label("Version").select_option("1")
    page.wait_for_url("**/playground?version=1")
    assert page.locator("[data-ref]").inner_text() == "prompt:support@1"


@pytest.fixture
def lenient_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page that records script errors but not the console's note of each 4xx answer."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    page.set_default_timeout(20_000)
    yield page, errors
    context.close()


def test_mistakes_show_inline_as_one_line(
    e2e_workspace: Workspace, serve_app: Any, lenient_page: tuple[Any, list[str]], prompt: str
) -> None:
    page, errors = lenient_page
    with serve_app(create_app(e2e_workspace)) as server:
        page.goto(f"{server.url}/ui/prompts/support/playground")
        page.get_by_label("product").fill("shipyard")
        page.get_by_role("button", name="Run").click()  # question left out is still sent, empty
        page.wait_for_selector("[data-output]")

        page.get_by_label("Model", exact=True).fill("nope/model")
        page.get_by_role("button", name="Run").click()
        alert = page.locator("[data-run-error]")
        alert.wait_for()
        assert "unknown provider 'nope'" in alert.inner_text()
        assert "\n" not in alert.inner_text().strip() and "Traceback" not in alert.inner_text()
        assert not page.locator("[data-result]").is_visible()

        page.get_by_label("Message 1 template").fill("About {{ product ")
        template_error = page.locator("[data-template-error]")
        template_error.wait_for()
        assert "prompt messages[0] (system), line 1" in template_error.inner_text()
        page.get_by_role("button", name="Save as new version").click()
        save_error = page.locator("[data-save-error]")
        save_error.wait_for()
        assert "prompt messages[0] (system)" in save_error.inner_text()
        assert len(e2e_workspace.store.assets.versions("prompt", "support")) == 1
    assert not errors, errors
