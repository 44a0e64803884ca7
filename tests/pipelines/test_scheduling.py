"""Scheduling: independent steps overlap, retries back off, a failure stops new work."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.pipelines import tags as T
from shipyard.pipelines.inspect import child_runs
from shipyard.store.records import Run


@sy.step
def nap(seconds: float, label: str) -> dict[str, float]:
    """Reports when it ran, as seen from inside the worker."""
    start = time.time()
    time.sleep(seconds)
    return {"start": start, "end": time.time()}


@sy.step
def join(a: dict[str, float], b: dict[str, float]) -> float:
    return max(a["end"], b["end"])


@sy.pipeline
def two_naps(seconds: float = 1.0) -> None:
    join(nap(seconds, "a"), nap(seconds, "b"))


def step_runs(result: sy.pipelines.PipelineResult) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {}
    for run in child_runs(result.workspace, result.run_id):
        runs.setdefault(run.tags[T.STEP], []).append(run)
    return runs


def test_independent_steps_run_at_the_same_time(executor) -> None:
    result = sy.pipelines.run(
        two_naps, {"seconds": 1.5}, executor=executor, cache=False, max_parallel=2
    )
    runs = step_runs(result)
    a, b = runs["nap"][0], runs["nap_2"][0]
    # The step runs' own start and end times (recorded by the workers) overlap ...
    assert a.start_time < b.end_time and b.start_time < a.end_time  # type: ignore[operator]
    # ... and so do the times each step measured for itself.
    ta, tb = result.load("nap"), result.load("nap_2")
    assert max(ta["start"], tb["start"]) < min(ta["end"], tb["end"])
    # The downstream step started only after both had ended.
    joined = runs["join"][0]
    assert joined.start_time >= max(a.end_time, b.end_time)  # type: ignore[type-var]
    assert result.load("join") == max(ta["end"], tb["end"])


def test_max_parallel_one_runs_steps_one_after_the_other(executor) -> None:
    result = sy.pipelines.run(
        two_naps, {"seconds": 0.3}, executor=executor, cache=False, max_parallel=1
    )
    ta, tb = result.load("nap"), result.load("nap_2")
    first, second = sorted([ta, tb], key=lambda t: t["start"])
    assert second["start"] >= first["end"]


@sy.step(retries=2, retry_delay=0.3, backoff=2.0)
def shaky(counter: str) -> str:
    """Fails on its first two attempts."""
    path = Path(counter)
    attempt = len(path.read_text().splitlines()) + 1 if path.exists() else 1
    with path.open("a") as fh:
        fh.write(f"{attempt}\n")
    if attempt < 3:
        raise ConnectionError(f"attempt {attempt} failed")
    return f"ok on attempt {attempt}"


@sy.pipeline
def retried(counter: str = "") -> None:
    shaky(counter)


def test_retries_back_off_and_record_every_attempt(executor, tmp_path: Path) -> None:
    result = sy.pipelines.run(retried, {"counter": str(tmp_path / "n")}, executor=executor)

    assert result.load("shaky") == "ok on attempt 3"
    step = result.step("shaky")
    assert step.status == "finished" and step.attempts == 3
    attempts = sorted(step_runs(result)["shaky"], key=lambda r: int(r.tags[T.ATTEMPT]))
    assert [r.tags[T.ATTEMPT] for r in attempts] == ["1", "2", "3"]
    assert [r.status for r in attempts] == ["failed", "failed", "finished"]
    assert attempts[0].tags[T.ERROR] == "ConnectionError: attempt 1 failed"
    assert step.run_id == attempts[2].id
    # Backoff: 0.3 s before the second attempt, 0.6 s before the third.
    gaps = [attempts[i + 1].start_time - attempts[i].end_time for i in range(2)]  # type: ignore[operator]
    assert gaps[0] >= 300 and gaps[1] >= 600, gaps
    # Every attempt kept its own log with the traceback.
    ws = result.workspace
    logs = ws.store.artifacts.list(attempts[0].id)
    assert T.LOGS_ARTIFACT in {a.path for a in logs}


@sy.step(retries=1, retry_delay=0.05)
def always_fails() -> int:
    raise ValueError("no luck")


@sy.step
def slow_sibling(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


@sy.step
def after_sibling(value: str) -> str:
    return value + "!"


@sy.pipeline
def doomed() -> None:
    always_fails()
    after_sibling(slow_sibling(1.5))


def test_a_failed_step_lets_running_steps_finish_and_starts_nothing_new(executor) -> None:
    with pytest.raises(sy.pipelines.PipelineFailed) as failed:
        sy.pipelines.run(doomed, executor=executor, cache=False)

    assert failed.value.step_id == "always_fails"
    assert "after 2 attempts: ValueError: no luck" in failed.value.message
    view = sy.pipelines.describe(failed.value.run_id)
    assert view.status == "failed"
    assert {s.id: s.status for s in view.steps} == {
        "always_fails": "failed",
        "slow_sibling": "finished",  # was running: allowed to finish
        "after_sibling": "skipped",  # never started
    }
    assert view.step("always_fails").attempts == 2
