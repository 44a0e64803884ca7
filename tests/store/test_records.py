"""Records and their JSON wire form: what a server sends must rebuild the same record."""

from __future__ import annotations

import json
import math

import pytest

from shipyard.store.records import (
    ArtifactEntry,
    Experiment,
    MetricPoint,
    Run,
    RunPage,
    RunQuery,
    param_from_columns,
    param_to_columns,
)


def _wire(d: dict[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(d, allow_nan=False))  # type: ignore[no-any-return]


def test_run_round_trip_with_non_finite_metrics() -> None:
    run = Run(
        id="a" * 32,
        experiment_id=1,
        experiment="e",
        name="n",
        status="finished",
        start_time=10,
        end_time=25,
        parent_id="b" * 32,
        env_digest="c" * 64,
        params={"lr": 0.1, "n": 3, "flag": True, "none": None, "s": "x"},
        tags={"t": "v"},
        metrics={"nan": math.nan, "inf": math.inf, "neg": -math.inf, "x": 0.5},
    )
    back = Run.from_dict(_wire(run.to_dict()))
    assert back.duration_ms == 15
    assert math.isnan(back.metrics["nan"])
    assert {k: v for k, v in back.metrics.items() if k != "nan"} == {
        "inf": math.inf,
        "neg": -math.inf,
        "x": 0.5,
    }
    assert back.params == run.params
    assert type(back.params["n"]) is int
    assert (back.id, back.parent_id, back.env_digest, back.end_time) == (
        run.id,
        run.parent_id,
        run.env_digest,
        25,
    )


def test_other_records_round_trip() -> None:
    exp = Experiment(id=3, name="e", created_at=5, description="d", run_count=2)
    assert Experiment.from_dict(_wire(exp.to_dict())) == exp
    point = MetricPoint("m", -math.inf, 4, 99)
    assert MetricPoint.from_dict(_wire(point.to_dict())) == point
    entry = ArtifactEntry("a/b.txt", "d" * 64, 12)
    assert ArtifactEntry.from_dict(_wire(entry.to_dict())) == entry
    query = RunQuery(
        experiment_ids=[1, 2],
        filter="metrics.a > 1",
        order_by=["metrics.a desc"],
        max_results=5,
        page_token="tok",
        parent_id="p",
    )
    assert RunQuery.from_dict(_wire(query.to_dict())) == query
    assert RunQuery.from_dict({}) == RunQuery()
    page = RunPage(runs=[], next_page_token="n", total=None)
    assert RunPage.from_dict(_wire(page.to_dict())) == page


@pytest.mark.parametrize(
    "value", [None, True, False, 0, -5, 2**62, 0.1, 1e-300, 3.0, "", "text", "42", "true"]
)
def test_param_columns_round_trip(value: object) -> None:
    kind, text, _ = param_to_columns(value)  # type: ignore[arg-type]
    back = param_from_columns(kind, text)
    assert back == value and type(back) is type(value)


def test_param_number_column() -> None:
    assert param_to_columns(3) == ("int", "3", 3.0)
    assert param_to_columns(True) == ("bool", "true", 1.0)
    assert param_to_columns("3") == ("str", "3", None)
    assert param_to_columns(math.inf)[2] is None
