"""Caching: unchanged steps reuse stored outputs; code, version, params or inputs changing miss."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import shipyard as sy
from shipyard.pipelines import tags as T
from shipyard.pipelines.loader import load_pipeline


def record(calls: str, name: str) -> None:
    with open(calls, "a") as fh:
        fh.write(name + "\n")


@sy.step
def load_rows(n: int, calls: str) -> pd.DataFrame:
    record(calls, "load_rows")
    return pd.DataFrame({"x": range(n), "group": [f"g{i % 3}" for i in range(n)]})


@sy.step
def scale(data: pd.DataFrame, factor: float, calls: str) -> pd.DataFrame:
    record(calls, "scale")
    out = data.copy()
    out["x"] = out["x"] * factor
    return out


@sy.step(version="1")
def summarize(data: pd.DataFrame, calls: str) -> dict[str, float]:
    record(calls, "summarize")
    return {"rows": len(data), "total": float(data["x"].sum())}


@sy.pipeline
def numbers(n: int = 10, factor: float = 2.0, calls: str = "") -> None:
    summarize(scale(load_rows(n, calls), factor, calls), calls)


def statuses(result: sy.pipelines.PipelineResult) -> dict[str, str]:
    return {s.id: s.status for s in result.steps}


def test_second_run_reuses_every_step(executor, calls) -> None:
    first = sy.pipelines.run(numbers, {"calls": str(calls)}, executor=executor)
    second = sy.pipelines.run(numbers, {"calls": str(calls)}, executor=executor)

    assert statuses(first) == dict.fromkeys(["load_rows", "scale", "summarize"], "finished")
    assert statuses(second) == dict.fromkeys(["load_rows", "scale", "summarize"], "cached")
    assert calls.lines() == ["load_rows", "scale", "summarize"]  # nothing ran twice
    assert [s.cached_from for s in second.steps] == [s.run_id for s in first.steps]
    assert [s.cache_key for s in second.steps] == [s.cache_key for s in first.steps]
    assert second.load("summarize") == first.load("summarize") == {"rows": 10, "total": 90.0}

    # A cached step is still a child run, pointing at the very blobs the first run wrote.
    cached = sy.get_run(second.step("scale").run_id)
    original = sy.get_run(first.step("scale").run_id)
    assert cached.parent_id == second.run_id
    assert cached.tags[T.CACHED_FROM] == original.id
    assert cached.tags[T.CACHE_KEY] == original.tags[T.CACHE_KEY]
    assert cached.params == original.params == {"factor": 2.0, "calls": str(calls)}
    ws = second.workspace
    outputs = lambda run_id: {  # noqa: E731
        (a.path, a.digest) for a in ws.store.artifacts.list(run_id) if a.path.startswith("outputs")
    }
    assert outputs(cached.id) == outputs(original.id) != set()


def test_changed_param_misses_that_step_and_everything_downstream(executor, calls) -> None:
    sy.pipelines.run(numbers, {"calls": str(calls)}, executor=executor)
    changed = sy.pipelines.run(numbers, {"calls": str(calls), "factor": 3.0}, executor=executor)

    assert statuses(changed) == {
        "load_rows": "cached",
        "scale": "finished",
        "summarize": "finished",
    }
    assert changed.load("summarize") == {"rows": 10, "total": 135.0}
    assert calls.count("load_rows") == 1 and calls.count("scale") == 2


def test_changed_input_misses(calls) -> None:
    sy.pipelines.run(numbers, {"calls": str(calls)}, executor="local")
    changed = sy.pipelines.run(numbers, {"calls": str(calls), "n": 12}, executor="local")
    assert set(statuses(changed).values()) == {"finished"}


def test_no_cache_executes_every_step(executor, calls) -> None:
    first = sy.pipelines.run(numbers, {"calls": str(calls)}, executor=executor)
    forced = sy.pipelines.run(numbers, {"calls": str(calls)}, executor=executor, cache=False)
    assert set(statuses(forced).values()) == {"finished"}
    assert len(calls.lines()) == 6
    # the keys are the same; only the lookup was skipped
    assert [s.cache_key for s in forced.steps] == [s.cache_key for s in first.steps]


def test_version_bump_misses_and_same_bytes_downstream_hit(calls) -> None:
    """A new version re-executes a step; an equal output then lets downstream steps hit again."""
    bumped_scale = sy.step(version="2")(scale.fn)

    @sy.pipeline
    def bumped(n: int = 10, factor: float = 2.0, calls: str = "") -> None:
        summarize(bumped_scale(load_rows(n, calls), factor, calls), calls)

    base = sy.pipelines.run(numbers, {"calls": str(calls)}, executor="inline")
    again = sy.pipelines.run(bumped, {"calls": str(calls)}, executor="inline")

    assert statuses(again) == {"load_rows": "cached", "scale": "finished", "summarize": "cached"}
    assert again.step("scale").cache_key != base.step("scale").cache_key
    assert again.step("scale").outputs[0].digest == base.step("scale").outputs[0].digest
    assert again.step("summarize").cached_from == base.step("summarize").run_id


def test_per_step_cache_off_always_executes(calls) -> None:
    uncached = sy.step(cache=False)(load_rows.fn)

    @sy.pipeline
    def fresh(calls: str = "") -> None:
        summarize(uncached(5, calls), calls)

    sy.pipelines.run(fresh, {"calls": str(calls)}, executor="inline")
    second = sy.pipelines.run(fresh, {"calls": str(calls)}, executor="inline")
    assert statuses(second) == {"load_rows": "finished", "summarize": "cached"}


FLOW = '''
import shipyard as sy


@sy.step
def double(x: int) -> int:
    """Docstrings, comments and formatting do not change the cache key."""
    return {body}


@sy.pipeline
def flow(x: int = 2):
    double(x)
'''


def test_code_change_misses_and_cosmetic_changes_do_not(tmp_path: Path) -> None:
    def write(name: str, body: str, extra: str = "") -> sy.pipelines.Pipeline:
        path = tmp_path / f"{name}.py"
        path.write_text(extra + FLOW.format(body=body))
        return load_pipeline(f"{path}:flow")

    first = sy.pipelines.run(write("flow_a", "x * 2"), executor="inline")
    cosmetic = sy.pipelines.run(
        write("flow_b", "x*2  # same", extra="# a comment\n"), executor="inline"
    )
    changed = sy.pipelines.run(write("flow_c", "x + x + 0"), executor="inline")

    assert cosmetic.step("double").status == "cached"
    assert cosmetic.step("double").cache_key == first.step("double").cache_key
    assert changed.step("double").status == "finished"
    assert changed.load("double") == 4


def test_pipeline_json_records_the_graph_and_cache_keys(calls) -> None:
    result = sy.pipelines.run(numbers, {"n": 10, "calls": str(calls)}, executor="inline")
    graph = result.workspace.store.artifacts.list(result.run_id)
    assert T.PIPELINE_ARTIFACT in {a.path for a in graph}
    from shipyard.pipelines.inspect import read_graph

    body = read_graph(result.workspace, result.run_id)
    assert body["pipeline"].endswith(":numbers")
    assert body["params"] == {"n": 10, "factor": 2.0, "calls": str(calls)}
    assert [s["id"] for s in body["steps"]] == ["load_rows", "scale", "summarize"]
    assert [s["upstream"] for s in body["steps"]] == [[], ["load_rows"], ["scale"]]
    assert [s["cache_key"] for s in body["steps"]] == [s.cache_key for s in result.steps]
    assert body["steps"][2]["version"] == "1"
