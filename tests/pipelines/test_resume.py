"""Resume: a failed pipeline runs again as a new run from the failed step on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard.core.errors import Conflict, InvalidInput
from shipyard.pipelines import tags as T


def record(calls: str, name: str) -> None:
    with open(calls, "a") as fh:
        fh.write(name + "\n")


@sy.step
def prepare(calls: str) -> pd.DataFrame:
    record(calls, "prepare")
    return pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})


@sy.step
def side(calls: str) -> int:
    record(calls, "side")
    return 7


@sy.step
def flaky(data: pd.DataFrame, flag: str, calls: str) -> float:
    """Fails while the flag file exists (the first run), succeeds once it is gone."""
    record(calls, "flaky")
    if Path(flag).exists():
        raise RuntimeError("the flag file says fail")
    return float(data["x"].mean())


@sy.step
def report(mean: float, extra: int, calls: str) -> dict[str, float]:
    record(calls, "report")
    return {"mean": mean, "extra": extra}


@sy.pipeline
def fragile(flag: str = "", calls: str = "") -> None:
    data = prepare(calls)
    report(flaky(data, flag, calls), side(calls), calls)


def test_resume_reuses_finished_steps_and_completes(executor, calls, tmp_path: Path) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    params = {"flag": str(flag), "calls": str(calls)}
    with pytest.raises(sy.pipelines.PipelineFailed) as failed:
        sy.pipelines.run(fragile, params, executor=executor)
    old = failed.value.run_id
    assert failed.value.step_id == "flaky"
    assert "RuntimeError: the flag file says fail" in failed.value.message
    assert f"shipyard pipelines resume {old[:8]}" in failed.value.message

    view = sy.pipelines.describe(old)
    assert view.status == "failed"
    assert {s.id: s.status for s in view.steps} == {
        "prepare": "finished",
        "side": "finished",
        "flaky": "failed",
        "report": "skipped",
    }
    assert view.step("flaky").error == "RuntimeError: the flag file says fail"
    assert "flaky" in (sy.get_run(old).tags[T.ERROR])

    flag.unlink()
    resumed = sy.pipelines.resume(old[:8], cache=False)  # finished steps are reused regardless

    assert resumed.run_id != old
    assert resumed.status == "finished"
    assert sy.get_run(resumed.run_id).tags[T.RESUMED_FROM] == old
    assert sy.get_run(resumed.run_id).tags[T.EXECUTOR] == executor  # the old run's executor
    assert {s.id: s.status for s in resumed.steps} == {
        "prepare": "cached",
        "side": "cached",
        "flaky": "finished",
        "report": "finished",
    }
    assert resumed.step("prepare").cached_from == view.step("prepare").run_id
    assert resumed.load("report") == {"mean": 2.5, "extra": 7}
    assert sorted(calls.lines()) == sorted(["prepare", "side", "flaky", "flaky", "report"])
    assert resumed.view.params == {"flag": str(flag), "calls": str(calls)}


def test_resume_refuses_finished_running_and_plain_runs(calls) -> None:
    done = sy.pipelines.run(
        fragile, {"flag": "/nonexistent", "calls": str(calls)}, executor="inline"
    )
    with pytest.raises(Conflict, match="nothing to resume"):
        sy.pipelines.resume(done.run_id)
    with sy.start_run(name="plain") as plain:
        pass
    with pytest.raises(InvalidInput, match="not a pipeline run"):
        sy.pipelines.resume(plain.id)
