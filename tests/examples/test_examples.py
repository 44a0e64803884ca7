"""Every example in examples/ runs, so the docs that show them never rot."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import shipyard as sy

EXAMPLES = Path(__file__).parents[2] / "examples"


def load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_track_experiment() -> None:
    run_id = load("track_experiment").main()
    run = sy.get_run(run_id)
    assert run.status == "finished"
    assert run.params == {"lr": 0.1, "model": "gbm"}
    assert len(sy.metric_history(run_id, "loss")) == 1000


def test_nested_runs() -> None:
    children = load("nested_runs").main()
    runs = [sy.get_run(c) for c in children]
    parent = sy.get_run(runs[0].parent_id or "")
    assert {r.parent_id for r in runs} == {parent.id}
    assert parent.tags["best"] == "lr=1.0"


def test_registry() -> None:
    nodes = load("registry").main()
    assert nodes[0] == "model:churn@1" and "dataset:churn@1" in nodes
    assert sy.models.get("model:churn@production").version == 1


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.py")))
def test_every_example_runs_as_a_script(name: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"SHIPYARD_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr


def test_credit_pipeline() -> None:
    module = load("credit_pipeline")
    ref = module.main()
    assert ref == "model:credit@1"
    model = sy.models.get(ref)
    assert {"accuracy", "f1", "auc"} <= set(model.metadata["run_metrics"])
    assert model.metadata["signature"]["inputs"][0]["name"] == "age"
    run = sy.pipelines.list_runs()[0]
    assert run.status == "finished" and run.pipeline.endswith(":train_credit")
    assert module.main() == ref  # unchanged: every step comes from the cache
    assert {s.status for s in sy.pipelines.describe(sy.pipelines.list_runs()[0].run_id).steps} == {
        "cached"
    }


def test_llm_calls() -> None:
    from shipyard.tracing import flush_traces
    from shipyard.workspace import current_workspace

    trace_id = load("llm_calls").main()
    flush_traces()
    record, spans = current_workspace().store.traces.get(trace_id)
    assert record.name == "classify-reviews" and record.status == "ok"
    llm = [s for s in spans if s.kind == "llm"]
    assert len(llm) == 3
    assert all(s.attributes["shipyard.target"] == "local/gemma-3-270m" for s in llm)
    assert llm[0].attributes["shipyard.prompt_ref"] == "prompt:sentiment-few-shot@1"
    assert record.completion_tokens > 0
