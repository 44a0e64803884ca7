"""Remote mode: the issue's tracking example runs unchanged against a real server over HTTP."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.cli.main import main


@pytest.fixture
def remote(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHIPYARD_URI", live_server.url)
    return live_server


def test_issue_example_runs_unchanged_against_a_server(remote, tmp_path: Path) -> None:
    Path("report.html").write_text("<h1>report</h1>")
    with sy.start_run(experiment="credit", params={"lr": 0.1}, tags={"team": "risk"}) as run:
        for step in range(1000):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metrics({"auc": 0.91, "f1": 0.84})
        run.log_artifact("report.html")

    # The data is in the server's own store, not in the client's SHIPYARD_HOME.
    server_store = remote.workspace.store
    stored = server_store.runs.get(run.id)
    assert stored.status == "finished"
    assert stored.params == {"lr": 0.1}
    assert stored.tags["team"] == "risk"
    assert stored.metrics["auc"] == 0.91
    assert len(server_store.run_data.metric_history(run.id, "loss")) == 1000
    assert [a.path for a in server_store.artifacts.list(run.id)] == ["report.html"]
    assert not (tmp_path / "home" / "shipyard.db").exists()

    # And the client reads it back through the same API.
    page = sy.search_runs("metrics.auc > 0.9 and params.lr = 0.1 and tags.team = 'risk'")
    assert [r.id for r in page.runs] == [run.id]
    out = tmp_path / "download"
    sy.download_artifacts(run.id, dst=out)
    assert (out / "report.html").read_text() == "<h1>report</h1>"


def test_errors_cross_the_wire_as_the_same_class(remote) -> None:
    with pytest.raises(sy.NotFound):
        sy.get_run("deadbeefdeadbeefdeadbeefdeadbeef")
    with pytest.raises(sy.InvalidInput, match="position"):
        sy.search_runs("metrics.auc >> 1")
    with sy.start_run(params={"lr": 0.1}) as run:
        with pytest.raises(sy.Conflict):
            run.log_param("lr", 0.2)


def test_nan_and_infinity_travel_over_json(remote) -> None:
    with sy.start_run() as run:
        run.log_metric("nan", math.nan)
        run.log_metric("inf", math.inf)
        run.log_metric("ninf", -math.inf)
    stored = sy.get_run(run.id)
    assert math.isnan(stored.metrics["nan"])
    assert stored.metrics["inf"] == math.inf
    assert stored.metrics["ninf"] == -math.inf


def test_cli_against_a_server(remote, capsys) -> None:
    with sy.start_run(experiment="remote-exp", name="over-http") as run:
        run.log_metric("acc", 0.5)
    assert main(["experiments", "list"]) == 0
    assert "remote-exp" in capsys.readouterr().out
    assert main(["runs", "show", run.id[:8]]) == 0
    assert "over-http" in capsys.readouterr().out
    assert main(["runs", "search", "metrics.acc >"]) == 2
    assert "position" in capsys.readouterr().err


def test_gc_through_a_server(remote, tmp_path: Path) -> None:
    Path("big.bin").write_bytes(b"x" * 10_000)
    with sy.start_run() as run:
        run.log_artifact("big.bin")
    sy.delete_run(run.id)
    from shipyard.workspace import collect_garbage, current_workspace

    report = collect_garbage(current_workspace(), grace_seconds=0)
    assert report.bytes_freed >= 10_000
    assert not list(remote.workspace.blobs.scan()) or all(
        b.size != 10_000 for b in remote.workspace.blobs.scan()
    )


def test_server_token_is_required_when_configured(tmp_path: Path, monkeypatch, serve_app) -> None:
    from shipyard.core.settings import Settings
    from shipyard.server.app import create_app
    from shipyard.workspace import Workspace, reset_workspaces

    ws = Workspace.open(Settings.load(home=str(tmp_path / "secure")))
    with serve_app(create_app(ws, token="s3cret")) as server:
        monkeypatch.setenv("SHIPYARD_URI", server.url)
        with pytest.raises(sy.UserError, match="token"):
            sy.list_experiments()
        reset_workspaces()
        monkeypatch.setenv("SHIPYARD_TOKEN", "s3cret")
        with sy.start_run(experiment="secure"):
            pass
        assert [e.name for e in sy.list_experiments()] == ["secure"]
