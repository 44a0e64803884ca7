"""Defining pipelines: what a step call means where, and the errors a pipeline body can hit."""

from __future__ import annotations

import pandas as pd
import pytest

import shipyard as sy
from shipyard.core.errors import InvalidInput
from shipyard.pipelines.step_decorator import outputs_from_annotation


@sy.step
def halves(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = len(data) // 2
    return data.iloc[:cut], data.iloc[cut:]


@sy.step
def count(data: pd.DataFrame) -> int:
    return len(data)


@sy.step
def add(*numbers: int, offset: int = 0, **named: int) -> int:
    return sum(numbers) + offset + sum(named.values())


def test_outside_a_pipeline_a_step_is_its_function() -> None:
    first, second = halves(pd.DataFrame({"x": range(4)}))
    assert count(first) == 2 and count(second) == 2
    assert add(1, 2, offset=3, z=4) == 10
    assert sy.search_runs().runs == []  # no run, no store


def test_outputs_come_from_the_return_annotation_or_the_option() -> None:
    assert halves.outputs == 2 and count.outputs == 1
    assert sy.step(outputs=3)(count.fn).outputs == 3

    def annotated_as_text() -> "tuple[int, str, float]":  # noqa: UP037 - the text form matters
        return 1, "a", 2.0

    def open_ended() -> tuple[int, ...]:
        return (1,)

    assert outputs_from_annotation(annotated_as_text) == 3
    assert outputs_from_annotation(open_ended) == 1


def test_step_options_are_checked() -> None:
    with pytest.raises(InvalidInput, match="retries must be"):
        sy.step(retries=-1)(count.fn)
    with pytest.raises(InvalidInput, match="backoff must be"):
        sy.step(backoff=0.5)(count.fn)
    with pytest.raises(InvalidInput, match="plain functions"):
        sy.step(print)  # type: ignore[arg-type]


@sy.pipeline(name="fan", experiment="pipelines-tests")
def fan(n: int = 4, extra: list[int] | None = None) -> None:
    data = pd.DataFrame({"x": range(n)})
    first, second = halves(data)
    a, b = count(first), count(second)
    add(a, b, offset=1, more=count(data))


def test_calls_become_nodes_with_unique_ids_and_varargs_work() -> None:
    result = sy.pipelines.run(fan, {"extra": [1, 2]}, executor="inline")
    assert [s.id for s in result.steps] == ["halves", "count", "count_2", "count_3", "add"]
    assert result.step("add").upstream == ["count", "count_2", "count_3"]
    assert result.load("add") == 2 + 2 + 1 + 4
    run = sy.get_run(result.run_id)
    assert run.experiment == "pipelines-tests" and run.name == "fan"
    assert run.params == {"n": 4, "extra": "[1, 2]"}
    assert result.view.params == {"n": 4, "extra": [1, 2]}


@sy.pipeline
def peeks() -> None:
    total = count(pd.DataFrame({"x": [1]}))
    if total:  # the value does not exist yet
        count(pd.DataFrame({"x": [1]}))


@sy.pipeline
def unpacks_one() -> None:
    _a, _b = count(pd.DataFrame({"x": [1]}))


@sy.pipeline
def indexes() -> None:
    count(halves(pd.DataFrame({"x": [1, 2]}))[0]["x"])


@sy.pipeline
def calls_nothing() -> None:
    pd.DataFrame()


@sy.pipeline
def passes_a_step() -> None:
    count(count)


@sy.pipeline
def crashes() -> None:
    raise ZeroDivisionError("oops in the body")


@pytest.mark.parametrize(
    ("pipeline", "error", "message"),
    [
        (peeks, InvalidInput, "cannot test the truth of <output of step count>"),
        (unpacks_one, InvalidInput, r"the step has one output.*outputs=2"),
        (indexes, InvalidInput, r"cannot index \['x'\] <output 0 of step halves>"),
        (calls_nothing, InvalidInput, "called no steps"),
        (passes_a_step, InvalidInput, "is the step count itself"),
        (crashes, sy.pipelines.PipelineFailed, "raised ZeroDivisionError: oops in the body"),
    ],
)
def test_mistakes_in_a_pipeline_body_are_clear(pipeline, error, message) -> None:
    with pytest.raises(error, match=message):
        sy.pipelines.run(pipeline, executor="inline")
    failed = sy.pipelines.list_runs()[0]
    assert failed.status == "failed" and failed.error


def test_pipeline_params_are_json_and_checked() -> None:
    with pytest.raises(
        InvalidInput, match=r"unexpected keyword argument 'm'.*parameters: n, extra"
    ):
        sy.pipelines.run(fan, {"m": 1})
    with pytest.raises(InvalidInput, match="must be JSON values"):
        sy.pipelines.run(fan, {"extra": pd.DataFrame()})
    with pytest.raises(InvalidInput, match="unknown executor 'spark'"):
        sy.pipelines.run(fan, executor="spark")
    with pytest.raises(InvalidInput, match="max_parallel"):
        sy.pipelines.run(fan, max_parallel=0)
    assert sy.search_runs().runs == []  # refused before any run started


@sy.pipeline
def nested() -> None:
    fan()


def test_pipelines_do_not_nest() -> None:
    with pytest.raises(InvalidInput, match="pipelines do not nest"):
        sy.pipelines.run(nested, executor="inline")


def test_calling_a_pipeline_runs_it_locally() -> None:
    result = fan(n=6)
    assert result.status == "finished"
    assert sy.get_run(result.run_id).tags["shipyard.executor"] == "local"
    assert result.load("add") == 3 + 3 + 1 + 6
