"""The web UI in a real browser: charts drawn by plotly.js, compare picked by ticking boxes."""

from __future__ import annotations

import math
from typing import Any

import pytest

import shipyard as sy
from shipyard.workspace import Workspace

pytestmark = pytest.mark.browser

LOSS = {
    "gbm-depth-3": [round(0.9 * math.exp(-i / 9) + 0.02 * math.sin(i), 6) for i in range(40)],
    "gbm-depth-8": [round(0.8 * math.exp(-i / 6) + 0.015 * math.cos(i), 6) for i in range(40)],
}
ACCURACY = {
    "gbm-depth-3": [round(0.6 + 0.3 * (1 - math.exp(-i / 8)), 6) for i in range(40)],
    "gbm-depth-8": [round(0.62 + 0.33 * (1 - math.exp(-i / 5)), 6) for i in range(40)],
}


@pytest.fixture
def logged(e2e_workspace: Workspace, tmp_path: Any) -> dict[str, str]:
    """Two comparable training runs (depth differs) with curves, tags and artifacts."""
    ids = {}
    for name, depth in (("gbm-depth-3", 3), ("gbm-depth-8", 8)):
        params = {"model": "gbm", "depth": depth, "learning_rate": 0.05, "n_estimators": 300}
        with sy.start_run(
            "churn-model",
            name=name,
            params=params,
            tags={"team": "growth", "dataset": "dataset:churn@3"},
            workspace=e2e_workspace,
        ) as run:
            for loss, acc in zip(LOSS[name], ACCURACY[name], strict=True):
                run.log_metrics({"loss": loss, "accuracy": acc})
            run.log_dict({"depth": depth, "features": ["tenure", "plan", "usage"]}, "config.json")
            run.log_text("tenure 0.41\nplan 0.33\nusage 0.26\n", "reports/importance.txt")
            ids[name] = run.id
    return ids


def test_run_page_draws_a_plotly_chart_per_metric(
    live_server: str, page: Any, logged: dict[str, str]
) -> None:
    page.goto(f"{live_server}/ui/runs/{logged['gbm-depth-3']}")
    page.wait_for_selector(".js-plotly-plot")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 2")
    # metrics are charted in key order: accuracy, then loss
    first = page.evaluate("document.querySelector('.js-plotly-plot').data[0].y")
    assert first == ACCURACY["gbm-depth-3"]
    loss = page.evaluate("document.querySelectorAll('.js-plotly-plot')[1].data[0].y")
    assert loss == LOSS["gbm-depth-3"]
    steps = page.evaluate("document.querySelectorAll('.js-plotly-plot')[1].data[0].x")
    assert steps == list(range(40))
    # the chart really drew a line, not just received data
    assert page.locator(".js-plotly-plot .scatterlayer path.js-line").count() == 2
    assert page.get_by_role("link", name="reports/importance.txt").is_visible()
    page.screenshot(path="/tmp/ui-run.png", full_page=True)


def test_compare_two_runs_picked_in_the_runs_table(
    live_server: str, page: Any, logged: dict[str, str]
) -> None:
    page.goto(f"{live_server}/ui/")
    page.get_by_role("link", name="churn-model").click()
    page.wait_for_selector("table.runs-table")
    compare = page.locator("[data-compare-button]")
    assert compare.is_disabled()
    page.get_by_label("Select gbm-depth-3").check()
    assert compare.is_disabled()  # one run is not a comparison
    page.get_by_label("Select gbm-depth-8").check()
    assert compare.is_enabled()
    compare.click()
    page.wait_for_url("**/ui/compare?**")
    page.wait_for_selector(".js-plotly-plot")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 2")
    traces = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot')[1].data, t => [t.name, t.y])"
    )
    assert len(traces) == 2  # one per run, in the order they were ticked (newest first)
    assert dict(traces) == LOSS
    for name in logged:
        assert page.get_by_role("link", name=name).first.is_visible()
        assert page.locator(".js-plotly-plot .legendtext", has_text=name).count() == 2
    depth_row = page.locator(
        ".params-compare tbody tr", has=page.locator("th.key", has_text="depth")
    )
    assert depth_row.get_attribute("class") == "diff"
    same_row = page.locator(
        ".params-compare tbody tr", has=page.locator("th.key", has_text="model")
    )
    assert same_row.get_attribute("class") == "same"
    highlight = depth_row.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    plain = same_row.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert highlight != plain
    page.screenshot(path="/tmp/ui-compare.png", full_page=True)
    # "Only differences" hides the params that are equal, with CSS alone
    page.get_by_label("Only differences").check()
    assert not same_row.is_visible() and depth_row.is_visible()
