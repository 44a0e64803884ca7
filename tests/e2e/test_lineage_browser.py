"""The registry pages in a real browser: the lineage graph is drawn and its nodes are links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import shipyard as sy
from shipyard.assets.aliases import move_alias
from shipyard.assets.registry import register_files, use
from shipyard.workspace import Workspace

pytestmark = pytest.mark.browser


@dataclass
class Lineage:
    prep: str
    train: str
    evaluate: str


@pytest.fixture
def lineage(e2e_workspace: Workspace) -> Lineage:
    """raw → (prep) → credit@2 and features@1 → (train) → churn@2 → (evaluate) → report@1."""
    ws = e2e_workspace
    register_files("dataset", "credit-raw", {"raw.csv": b"age,plan\n31,gold\n"}, workspace=ws)
    register_files("dataset", "credit", {"data.csv": b"age\n1\n"}, workspace=ws)
    with sy.start_run("etl", name="prep", workspace=ws) as prep:
        use("dataset:credit-raw@1", workspace=ws)
        register_files(
            "dataset",
            "credit",
            {"train.csv": b"age,plan\n31,gold\n", "test.csv": b"age,plan\n47,silver\n"},
            {"num_rows": 1, "schema": [{"name": "age", "type": "int64", "nullable": False}]},
            derived_from=["dataset:credit-raw@1"],
            workspace=ws,
        )
    register_files("dataset", "features", {"features.json": b'["age"]'}, workspace=ws)
    with sy.start_run("train", name="train-gbm", workspace=ws) as train:
        use("dataset:credit@2", workspace=ws)
        use("dataset:features@1", workspace=ws)
        register_files("model", "churn", {"model.bin": b"weights-1"}, workspace=ws)
        register_files(
            "model",
            "churn",
            {"model.bin": b"weights-2"},
            {"flavor": "sklearn", "metrics": {"f1": 0.91, "auc": 0.95}},
            derived_from=["model:churn@1"],
            workspace=ws,
        )
    with sy.start_run("train", name="evaluate", workspace=ws) as evaluate:
        use("model:churn@2", workspace=ws)
        register_files("dataset", "churn-report", {"report.md": b"# f1 0.91\n"}, workspace=ws)
    move_alias("model:churn@1", "production", workspace=ws)
    move_alias("model:churn@2", "production", workspace=ws)
    move_alias("model:churn@2", "champion", workspace=ws)
    return Lineage(prep=prep.id, train=train.id, evaluate=evaluate.id)


def test_model_lineage_graph_leads_to_its_dataset(
    live_server: str, page: Any, lineage: Lineage
) -> None:
    page.goto(f"{live_server}/ui/assets/model/churn/production")
    assert "model:churn@2" in page.locator("h1").inner_text()
    up = page.locator("svg#lineage-up")
    assert up.is_visible()
    dataset = up.locator('a.node[data-node="dataset:credit@2"]')
    run = up.locator(f'a.node[data-node="run:{lineage.train}"]')
    assert dataset.is_visible() and run.is_visible()
    assert "run " + lineage.train[:8] in (run.text_content() or "")
    assert run.get_attribute("href") == f"/ui/runs/{lineage.train}"
    assert up.locator(f'a.node[data-node="run:{lineage.prep}"]').is_visible()
    # the arrows were drawn: one path per edge, each ending in a marker
    assert up.locator("path.edge").count() >= 6
    box = up.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 60
    down = page.locator("svg#lineage-down")
    assert down.locator(f'a.node[data-node="run:{lineage.evaluate}"]').is_visible()
    page.screenshot(path="/tmp/ui-lineage.png", full_page=True)

    dataset.click()
    page.wait_for_url("**/ui/assets/dataset/credit/2")
    assert "dataset:credit@2" in page.locator("h1").inner_text()
    assert page.locator("table.columns-table").get_by_text("age").is_visible()
    down = page.locator("svg#lineage-down")
    assert down.locator('a.node[data-node="model:churn@2"]').is_visible()


def test_asset_page_lists_versions_and_alias_history(
    live_server: str, page: Any, lineage: Lineage
) -> None:
    page.goto(f"{live_server}/ui/assets")
    page.get_by_role("link", name="Models").first.click()
    page.wait_for_url("**/ui/assets?kind=model")
    page.get_by_role("link", name="churn", exact=True).click()
    page.wait_for_url("**/ui/assets/model/churn")
    rows = page.locator("table.history-table tbody tr")
    assert rows.count() == 3
    assert page.locator("table.versions-table tbody tr").count() == 2
    page.screenshot(path="/tmp/ui-asset.png", full_page=True)
