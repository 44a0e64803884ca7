"""The demo trains real models on real data and leaves runs worth looking at."""

from __future__ import annotations

import pytest

import shipyard as sy
from shipyard.cli.main import main
from shipyard.demo.tracking import EXPERIMENT, GRID


@pytest.mark.slow
@pytest.mark.timeout(900)  # twice the whole demo, 480 local-model calls among it: ~1 min idle
def test_demo_tracks_the_grid_as_nested_runs(capsys) -> None:
    assert main(["demo", "--no-serve"]) == 0
    printed = capsys.readouterr().out
    assert "demo runs" in printed and "LLM gateway" in printed
    # the seed example both ways: one report, the prompt significantly better than the classifier
    assert "dataset:sentiment-eval@1: 2 evaluations" in printed
    assert "significantly better" in printed
    evaluations = sy.evals.list_evaluations(data="dataset:sentiment-eval")
    assert {e.target for e in evaluations} == {
        "model:sentiment-classifier@1",
        "prompt:sentiment@1",
    }
    page = sy.search_runs(experiments=[EXPERIMENT], max_results=50)
    parents = [r for r in page.runs if r.parent_id is None]
    children = [r for r in page.runs if r.parent_id is not None]
    assert len(parents) == 1 and len(children) == len(GRID)
    for child in children:
        assert child.status == "finished"
        assert 0.9 < child.metrics["auc"] <= 1.0
        assert {"accuracy", "f1", "auc"} <= set(child.metrics)
    gbm = next(c for c in children if c.params["model"] == "gbm")
    assert len(sy.metric_history(gbm.id, "val_loss")) == gbm.params["n_estimators"]
    assert parents[0].tags["best_run"] in {c.name for c in children}

    # The registry holds the dataset and the best model, linked through the grid run.
    champion = sy.models.get("model:breast-cancer@champion")
    assert champion.run_id == parents[0].id
    assert champion.metadata["run_metrics"]["best_auc"] > 0.9
    from shipyard.assets.lineage import lineage_graph

    up = lineage_graph(champion.ref, "up")
    assert "dataset:breast-cancer@1" in up.nodes
    frame = sy.datasets.load("dataset:breast-cancer@1")
    predictions = sy.models.load("model:breast-cancer@champion").predict(
        frame.drop(columns="target")
    )
    assert (predictions == frame["target"]).mean() > 0.9

    # Running the demo again adds runs but no new dataset version.
    assert main(["demo", "--no-serve"]) == 0
    assert sy.datasets.get("dataset:breast-cancer").version == 1

    # The credit pipeline ran as a pipeline run and its model is in production;
    # the second demo reused every step from the cache.
    pipeline_runs = sy.pipelines.list_runs(pipeline="credit_pipeline:train_credit")
    assert [r.status for r in pipeline_runs] == ["finished", "finished"]
    latest = sy.pipelines.describe(pipeline_runs[0].run_id)
    assert [s.id for s in latest.steps] == ["split", "fit", "evaluate", "register"]
    assert {s.status for s in latest.steps} == {"cached"}
    production = sy.models.get("model:credit@production")
    assert production.version == 1 and production.metadata["run_metrics"]["auc"] > 0.7
    assert "dataset:credit@1" in lineage_graph(production.ref, "up").nodes
