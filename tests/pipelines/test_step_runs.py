"""Inside a step: its child run is the active run; what it prints is captured; crashes are recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

import shipyard as sy
from shipyard.pipelines import tags as T


def read_artifact(run_id: str | None, path: str = T.LOGS_ARTIFACT) -> str:
    from shipyard.workspace import current_workspace

    assert run_id is not None
    ws = current_workspace()
    entry = next(a for a in ws.store.artifacts.list(run_id) if a.path == path)
    with ws.blobs.open(entry.digest) as fh:
        return fh.read().decode()


@sy.step
def chatty(n: int) -> int:
    print(f"hello from stdout {n}")
    print("hello from stderr", file=sys.stderr)
    subprocess.run([sys.executable, "-c", "print('hello from a subprocess')"], check=True)
    os.write(1, b"hello from fd 1\n")
    return n


@sy.step
def fit_and_register(n: int) -> str:
    data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]})
    run = sy.active_run()
    assert run is not None
    run.log_metric("accuracy", 0.75)
    model = DecisionTreeClassifier().fit(data[["x"]], data["y"])
    version = sy.models.register(model, "tree", sample_input=data[["x"]])
    return str(version.ref)


@sy.pipeline
def observed(n: int = 3) -> None:
    fit_and_register(chatty(n))


def test_logs_metrics_and_registered_models_belong_to_the_step_run(executor) -> None:
    result = sy.pipelines.run(observed, executor=executor, cache=False)

    chatty_run = result.step("chatty").run_id
    assert chatty_run is not None
    logs = read_artifact(chatty_run)
    for line in (
        "hello from stdout 3",
        "hello from stderr",
        "hello from a subprocess",
        "hello from fd 1",
    ):
        assert line in logs

    fit_run = sy.get_run(result.step("fit_and_register").run_id)  # type: ignore[arg-type]
    assert fit_run.parent_id == result.run_id
    assert fit_run.metrics == {"accuracy": 0.75}
    assert fit_run.params == {}
    assert fit_run.tags[T.KIND] == "step" and fit_run.tags[T.ATTEMPT] == "1"
    ref = result.load("fit_and_register")
    edges = result.workspace.store.lineage.edges(versions=[ref])
    assert ("produced", fit_run.id) in {(e.relation, e.run_id) for e in edges}
    assert sy.models.get(ref).metadata["run_metrics"] == {"accuracy": 0.75}
    assert sy.get_run(chatty_run).params == {"n": 3}


@sy.step
def explodes() -> int:
    print("about to fail")
    raise KeyError("missing column 'income'")


@sy.pipeline
def exploding() -> None:
    explodes()


def test_a_failing_step_logs_its_traceback(executor) -> None:
    with pytest.raises(sy.pipelines.PipelineFailed) as failed:
        sy.pipelines.run(exploding, executor=executor)
    view = sy.pipelines.describe(failed.value.run_id)
    step = view.step("explodes")
    assert step.error == "KeyError: \"missing column 'income'\""
    logs = read_artifact(step.run_id)
    assert "about to fail" in logs
    assert "Traceback (most recent call last)" in logs and "in explodes" in logs


@sy.step
def dies() -> int:
    print("going down", flush=True)
    os._exit(3)


@sy.pipeline
def dying() -> None:
    dies()


def test_a_worker_that_dies_is_recorded_as_a_failed_attempt(executor) -> None:
    with pytest.raises(sy.pipelines.PipelineFailed) as failed:
        sy.pipelines.run(dying, executor=executor)
    view = sy.pipelines.describe(failed.value.run_id)
    step = view.step("dies")
    assert step.status == "failed" and step.attempts == 1
    run = sy.get_run(step.run_id)  # type: ignore[arg-type]
    assert run.status == "failed"
    if executor == "local":
        assert step.error == "the worker process died (exit code 3)"
        logs = read_artifact(run.id)
        assert "going down" in logs and "the worker process died" in logs
    else:
        assert (step.error or "").startswith("the Ray task failed")


LOCK = threading.Lock()


@sy.step
def uses_a_lock() -> int:
    with LOCK:
        return 1


@sy.pipeline
def locked() -> None:
    uses_a_lock()


def test_a_step_ray_cannot_ship_fails_clearly(ray_instance) -> None:
    assert sy.pipelines.run(locked, executor="local").load("uses_a_lock") == 1  # fork: no pickling
    with pytest.raises(sy.pipelines.PipelineFailed) as failed:
        sy.pipelines.run(locked, executor="ray", cache=False)
    assert "cannot send step uses_a_lock to Ray workers" in failed.value.message
    assert "lock" in failed.value.message
