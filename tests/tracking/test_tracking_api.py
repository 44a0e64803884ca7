"""The tracking API end to end, on the default local workspace (SQLite and a blob folder)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.core.errors import InvalidInput, NotFound


def _loss(step: int) -> float:
    return math.exp(-step / 200) + 0.05


def test_the_issue_example(tmp_path: Path, isolated_home: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text("<h1>credit model</h1><p>AUC 0.91</p>", encoding="utf-8")
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "weights.bin").write_bytes(bytes(range(256)) * 40)
    (model / "sub" / "config.json").write_text('{"depth": 3}')

    with sy.start_run(
        experiment="credit",
        name="gbm-1",
        params={"lr": 0.1, "model": "gbm", "n_estimators": 100},
        tags={"team": "risk"},
    ) as run:
        for step in range(1000):
            run.log_metric("loss", _loss(step), step=step)
        run.log_metrics({"auc": 0.91, "f1": 0.84})
        run.log_artifact(report)
        run.log_artifact(model)
        assert run.status == "running"
    assert run.status == "finished"

    stored = sy.get_run(run.id)
    assert stored.name == "gbm-1"
    assert stored.experiment == "credit"
    assert stored.status == "finished"
    assert stored.end_time is not None and stored.end_time >= stored.start_time
    assert stored.params == {"lr": 0.1, "model": "gbm", "n_estimators": 100}
    assert type(stored.params["n_estimators"]) is int
    assert stored.tags["team"] == "risk"
    assert stored.metrics == {"loss": _loss(999), "auc": 0.91, "f1": 0.84}

    history = sy.metric_history(run.id[:8], "loss")
    assert [p.step for p in history] == list(range(1000))
    assert [p.value for p in history] == [_loss(s) for s in range(1000)]
    assert all(p.key == "loss" for p in history)
    assert [p.step for p in sy.metric_history(run.id, "auc")] == [0]

    files = sy.download_artifacts(run.id, dst=tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in files) == [
        "model/sub/config.json",
        "model/weights.bin",
        "report.html",
    ]
    assert (out / "report.html").read_text(encoding="utf-8") == report.read_text(encoding="utf-8")
    assert (out / "model" / "weights.bin").read_bytes() == (model / "weights.bin").read_bytes()
    assert not list(out.rglob("*.part"))

    only_model = sy.download_artifacts(run.id[:10], "model/sub", dst=tmp_path / "sub")
    assert [p.name for p in only_model] == ["config.json"]

    best = sy.search_runs(
        "metrics.auc > 0.9 and params.model = 'gbm'",
        experiments=["credit"],
        order_by=["metrics.auc desc"],
    )
    assert [r.id for r in best.runs] == [run.id]
    assert [(e.name, e.run_count) for e in sy.list_experiments()] == [("credit", 1)]
    # it all lives in SHIPYARD_HOME
    assert (isolated_home / "shipyard.db").is_file()
    assert (isolated_home / "blobs").is_dir()


def test_artifact_path_names_the_artifact(tmp_path: Path) -> None:
    f = tmp_path / "summary.txt"
    f.write_text("done")
    with sy.start_run() as run:
        entries = run.log_artifact(f, artifact_path="reports/final.txt")
        text = run.log_text("ünïcödé text", "notes/readme.md")
        data = run.log_dict({"a": 1, "nan": math.nan}, "meta.json")
    assert [e.path for e in entries] == ["reports/final.txt"]
    assert text.path == "notes/readme.md" and data.path == "meta.json"
    files = {
        p.relative_to(tmp_path / "o").as_posix(): p
        for p in sy.download_artifacts(run.id, dst=tmp_path / "o")
    }
    assert set(files) == {"reports/final.txt", "notes/readme.md", "meta.json"}
    assert files["notes/readme.md"].read_text(encoding="utf-8") == "ünïcödé text"
    assert '"nan": NaN' in files["meta.json"].read_text()


def test_download_from_the_active_run(tmp_path: Path) -> None:
    with sy.start_run() as run:
        run.log_text("hi", "a.txt")
        (path,) = run.download_artifacts(dst=tmp_path / "d")
        assert path.read_text() == "hi"


def test_download_of_a_missing_artifact_is_not_found(tmp_path: Path) -> None:
    with sy.start_run() as run:
        run.log_text("hi", "a.txt")
    with pytest.raises(NotFound, match=r"has no artifact 'b\.txt'"):
        sy.download_artifacts(run.id, "b.txt", dst=tmp_path)
    # a prefix of a name is not a folder
    with pytest.raises(NotFound):
        sy.download_artifacts(run.id, "a.t", dst=tmp_path)


def test_log_artifact_of_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with sy.start_run() as run, pytest.raises(NotFound, match="no file or folder"):
        run.log_artifact(tmp_path / "nope.txt")


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "/etc/passwd", "a/../../b", "..", "C:\\Windows\\x"]
)
def test_artifact_path_traversal_is_refused_and_nothing_is_written(
    tmp_path: Path, isolated_home: Path, bad: str
) -> None:
    f = tmp_path / "f.txt"
    f.write_text("secret")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    with sy.start_run() as run:
        with pytest.raises(InvalidInput, match="artifact path"):
            run.log_artifact(f, artifact_path=bad)
        with pytest.raises(InvalidInput, match="artifact path"):
            run.log_artifact(folder, artifact_path=bad)
        with pytest.raises(InvalidInput, match="artifact path"):
            run.log_text("x", bad)
    blobs = isolated_home / "blobs"
    assert [p for p in blobs.rglob("*") if p.is_file()] == []
    ws = sy.Workspace.open()
    try:
        assert ws.store.artifacts.list(run.id) == []
    finally:
        ws.close()
    assert not (tmp_path.parent / "etc").exists()


def test_a_folder_with_a_bad_file_name_uploads_nothing(tmp_path: Path, isolated_home: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "good.txt").write_text("good")
    (folder / "bad\x07name.txt").write_text("bad")  # a control character
    with sy.start_run() as run, pytest.raises(InvalidInput, match="control character"):
        run.log_artifact(folder)
    assert [p for p in (isolated_home / "blobs").rglob("*") if p.is_file()] == []


def test_get_run_by_prefix_and_errors() -> None:
    with sy.start_run(name="findme") as run:
        pass
    assert sy.get_run(run.id[:6]).name == "findme"
    with pytest.raises(NotFound):
        sy.get_run("0" * 32)
    with pytest.raises(InvalidInput, match="too short"):
        sy.get_run(run.id[:2])


def test_search_runs_across_experiments_and_pages() -> None:
    for i in range(7):
        with sy.start_run(experiment="a" if i % 2 else "b", params={"i": i}) as run:
            run.log_metric("score", float(i))
    page = sy.search_runs(order_by=["metrics.score desc"], max_results=3)
    assert [r.params["i"] for r in page.runs] == [6, 5, 4]
    page2 = sy.search_runs(
        order_by=["metrics.score desc"], max_results=3, page_token=page.next_page_token
    )
    assert [r.params["i"] for r in page2.runs] == [3, 2, 1]
    only_a = sy.search_runs(experiments=["a"])
    assert sorted(r.params["i"] for r in only_a.runs) == [1, 3, 5]
    with pytest.raises(NotFound, match="did you mean 'a'"):
        sy.search_runs(experiments=["aa"])


def test_delete_run_and_experiment() -> None:
    with sy.start_run(experiment="gone") as parent:
        with sy.start_run() as child:
            pass
    with sy.start_run(experiment="kept") as kept:
        pass
    sy.delete_run(parent.id[:8])
    for rid in (parent.id, child.id):
        with pytest.raises(NotFound):
            sy.get_run(rid)
    sy.delete_experiment("gone")
    assert [e.name for e in sy.list_experiments()] == ["kept"]
    sy.delete_experiment("kept")
    with pytest.raises(NotFound):
        sy.get_run(kept.id)
    with pytest.raises(NotFound):
        sy.delete_experiment("kept")


def test_default_experiment_and_generated_name() -> None:
    with sy.start_run() as run:
        pass
    stored = sy.get_run(run.id)
    assert stored.experiment == "default"
    parts = stored.name.split("-")
    assert len(parts) == 3 and parts[2].isdigit()


def test_explicit_workspace(tmp_path: Path) -> None:
    settings = sy.Settings.load(home=str(tmp_path / "elsewhere"))
    ws = sy.Workspace.open(settings)
    try:
        with sy.start_run(experiment="x", workspace=ws) as run:
            run.log_metric("m", 1.0)
        assert sy.get_run(run.id, workspace=ws).metrics == {"m": 1.0}
        with pytest.raises(NotFound):
            sy.get_run(run.id)  # not in the default workspace
        assert (tmp_path / "elsewhere" / "shipyard.db").is_file()
    finally:
        ws.close()
