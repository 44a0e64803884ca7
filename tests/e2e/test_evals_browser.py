"""The evaluation pages in a real browser against a real server: pick two, compare, filter cases.

The evaluations are real (the runner over a Python function and over a prompt
on the ``echo`` model); the charts are drawn by the real plotly.js, so a chart
that fails to draw fails the test (the ``page`` fixture records script errors).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shipyard.server.app import create_app
from shipyard.workspace import Workspace

pytestmark = pytest.mark.browser


def _fixtures() -> Any:
    name = "_eval_fixtures_for_server_tests"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "server" / "eval_fixtures.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


F = _fixtures()


@pytest.fixture
def pair(e2e_workspace: Workspace, tmp_path: Path) -> Any:
    return F.make_pair(e2e_workspace, tmp_path)


@pytest.fixture
def evals_server(e2e_workspace: Workspace, serve_app: Any, pair: Any) -> Iterator[str]:
    with serve_app(create_app(e2e_workspace)) as server:
        yield server.url


def drawn(page: Any, figure: str) -> Any:
    """The plotly chart of ``figure`` once it is drawn (it has an SVG)."""
    chart = page.locator(f"[data-figure-src='{figure}']")
    chart.locator("svg.main-svg").first.wait_for()
    return chart


def test_pick_two_and_compare(evals_server: str, page: Any, pair: Any) -> None:
    page.goto(f"{evals_server}/ui/evals")
    rows = page.locator("tbody tr[data-run]")
    assert rows.count() == 2
    compare = page.get_by_role("button", name="Compare")
    report = page.get_by_role("button", name="Report")
    assert compare.is_disabled() and report.is_disabled()
    page.get_by_label("Select every evaluation").check()
    assert compare.is_enabled() and report.is_enabled()
    page.screenshot(path="/tmp/ui-evals-list.png", full_page=True)
    compare.click()

    # the older evaluation (the rules) becomes the baseline
    page.wait_for_url("**/ui/evals/compare?baseline=*")
    assert pair.baseline.run_id in page.url and pair.candidate.run_id in page.url
    badge = page.locator(".verdict-card [data-verdict]")
    assert badge.get_attribute("data-verdict") == "significantly_better"
    assert badge.inner_text() == "significantly better"
    assert "mcnemar" in page.locator("[data-test-summary]").inner_text()
    forest = drawn(page, "fig-forest")
    assert forest.locator(".errorbar").count() >= 1  # the intervals are drawn as error bars
    drawn(page, "fig-outcomes")
    disagreements = page.locator(".disagreements-table tbody tr")
    assert disagreements.count() > 0
    page.screenshot(path="/tmp/ui-evals-compare.png", full_page=True)

    page.get_by_role("link", name="As a report").click()
    page.wait_for_url("**/ui/evals/report?*")
    drawn(page, "fig-quality")
    assert page.locator("[data-verdict-cell] [data-verdict]").inner_text() == "significantly better"
    page.screenshot(path="/tmp/ui-evals-report.png", full_page=True)


def test_open_an_evaluation_and_filter_wrong_cases(evals_server: str, page: Any, pair: Any) -> None:
    page.goto(f"{evals_server}/ui/evals")
    page.locator(f"tr[data-run='{pair.candidate.run_id}'] .name-cell a").click()
    page.wait_for_url(f"**/ui/evals/{pair.candidate.run_id}")
    assert page.locator("[data-metric='accuracy'] .number").inner_text() == "0.9000"
    heatmap = drawn(page, "fig-confusion")
    assert heatmap.locator(".hm").count() == 1  # plotly's heatmap layer
    drawn(page, "fig-per-class")
    drawn(page, "fig-latency")
    assert page.locator(".cases-table tbody tr").count() == 50  # the first page of 90
    page.screenshot(path="/tmp/ui-eval.png", full_page=True)

    page.locator("[data-filter='wrong']").click()
    page.wait_for_url("**only=wrong*")
    rows = page.locator(".cases-table tbody tr")
    assert rows.count() == 9
    indices = [int(rows.nth(i).get_attribute("data-case")) for i in range(rows.count())]
    assert indices == [i for i in range(90) if i % 10 == 0]
    assert all("wrong" in (rows.nth(i).get_attribute("class") or "") for i in range(9))

    page.locator(".cases-table tbody tr").first.get_by_role("link", name="trace").click()
    page.wait_for_url("**/ui/traces/*")
    assert page.locator("h1").first.inner_text()
