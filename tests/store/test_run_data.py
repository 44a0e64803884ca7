"""Metric series, typed params and tags on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.store.records import MetricPoint
from shipyard.store.sql import SqlStore


@pytest.fixture
def run_id(store: SqlStore, experiment_id: int) -> str:
    return store.runs.create(experiment_id, "r").id


def test_metric_series_keeps_step_and_timestamp(store: SqlStore, run_id: str) -> None:
    points = [MetricPoint("loss", 1.0 / (i + 1), i, 1_000 + i) for i in range(50)]
    store.run_data.log_batch(run_id, metrics=points)
    assert store.run_data.metric_history(run_id, "loss") == points
    assert store.run_data.metric_history(run_id, "other") == []


def test_history_is_ordered_by_step_then_timestamp(store: SqlStore, run_id: str) -> None:
    store.run_data.log_batch(
        run_id,
        metrics=[
            MetricPoint("m", 3.0, 2, 10),
            MetricPoint("m", 1.0, 0, 30),
            MetricPoint("m", 2.5, 1, 25),
            MetricPoint("m", 2.0, 1, 20),
        ],
    )
    got = store.run_data.metric_history(run_id, "m")
    assert [(p.step, p.timestamp) for p in got] == [(0, 30), (1, 20), (1, 25), (2, 10)]


def test_latest_metric_is_highest_step_then_timestamp(store: SqlStore, run_id: str) -> None:
    store.run_data.log_batch(
        run_id,
        metrics=[
            MetricPoint("acc", 0.5, 5, 100),
            MetricPoint("acc", 0.9, 7, 50),  # highest step wins over later timestamps
            MetricPoint("acc", 0.7, 6, 200),
        ],
    )
    assert store.runs.get(run_id).metrics == {"acc": 0.9}
    # a later batch with a lower step does not replace it
    store.run_data.log_batch(run_id, metrics=[MetricPoint("acc", 0.1, 3, 999)])
    assert store.runs.get(run_id).metrics == {"acc": 0.9}
    # same step, later timestamp does
    store.run_data.log_batch(run_id, metrics=[MetricPoint("acc", 0.95, 7, 60)])
    assert store.runs.get(run_id).metrics == {"acc": 0.95}
    # same step, earlier timestamp does not
    store.run_data.log_batch(run_id, metrics=[MetricPoint("acc", 0.2, 7, 40)])
    assert store.runs.get(run_id).metrics == {"acc": 0.95}
    # a higher step in a later batch does
    store.run_data.log_batch(run_id, metrics=[MetricPoint("acc", 0.3, 8, 1)])
    assert store.runs.get(run_id).metrics == {"acc": 0.3}
    assert len(store.run_data.metric_history(run_id, "acc")) == 7


def test_non_finite_values_round_trip(store: SqlStore, run_id: str) -> None:
    store.run_data.log_batch(
        run_id,
        metrics=[
            MetricPoint("nan", math.nan, 0, 1),
            MetricPoint("inf", math.inf, 0, 1),
            MetricPoint("neg", -math.inf, 0, 1),
            MetricPoint("nan", 1.5, 1, 1),
            MetricPoint("nan", math.nan, 2, 1),
        ],
    )
    run = store.runs.get(run_id)
    assert math.isnan(run.metrics["nan"])
    assert run.metrics["inf"] == math.inf
    assert run.metrics["neg"] == -math.inf
    values = [p.value for p in store.run_data.metric_history(run_id, "nan")]
    assert math.isnan(values[0]) and values[1] == 1.5 and math.isnan(values[2])
    assert store.run_data.metric_history(run_id, "inf")[0].value == math.inf
    assert store.run_data.metric_history(run_id, "neg")[0].value == -math.inf


def test_nan_is_stored_as_null(store: SqlStore, run_id: str) -> None:
    from sqlalchemy import select

    from shipyard.store.tables import latest_metrics, metrics

    store.run_data.log_batch(run_id, metrics=[MetricPoint("nan", math.nan, 0, 1)])
    with store.db.read() as conn:
        assert conn.execute(select(metrics.c.value)).scalar_one() is None
        assert conn.execute(select(latest_metrics.c.value)).scalar_one() is None


def test_large_batch_round_trips(store: SqlStore, run_id: str) -> None:
    points = [MetricPoint("x", float(i), i, i) for i in range(6_000)]  # more than one chunk
    store.run_data.log_batch(run_id, metrics=points)
    history = store.run_data.metric_history(run_id, "x")
    assert len(history) == 6_000
    assert history[-1] == points[-1]
    assert store.runs.get(run_id).metrics == {"x": 5_999.0}


BAD_POINTS = [
    (MetricPoint("m", "0.5", 0, 1), "must be a number"),  # type: ignore[arg-type]
    (MetricPoint("m", True, 0, 1), "must be a number"),
    (MetricPoint("m", None, 0, 1), "must be a number"),  # type: ignore[arg-type]
    (MetricPoint("m", 1.0, 1.5, 1), "step must be an integer"),  # type: ignore[arg-type]
    (MetricPoint("m", 1.0, 2**63, 1), "64 bits"),
    (MetricPoint("", 1.0, 0, 1), "non-empty"),
    (MetricPoint("a\nb", 1.0, 0, 1), "control character"),
    (MetricPoint("k" * 251, 1.0, 0, 1), "limit is 250"),
    (MetricPoint("m", 10**400, 0, 1), "too large for a 64-bit float"),
    (MetricPoint("m", 1.0, 0, "now"), "timestamp must be an integer"),  # type: ignore[arg-type]
]


def test_bad_points_are_refused_and_nothing_is_written(store: SqlStore, run_id: str) -> None:
    good = MetricPoint("m", 1.0, 0, 1)
    for point, message in BAD_POINTS:
        with pytest.raises(InvalidInput, match=message):
            store.run_data.log_batch(run_id, metrics=[good, point])
    assert store.run_data.metric_history(run_id, "m") == []


def test_log_batch_to_unknown_run_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.run_data.log_batch("0" * 32, metrics=[MetricPoint("m", 1.0, 0, 1)])
    with pytest.raises(NotFound):
        store.run_data.metric_history("0" * 32, "m")


def test_params_keep_their_type(store: SqlStore, run_id: str) -> None:
    values = {
        "int": 42,
        "big": 2**62,
        "huge": 10**400,  # beyond a double: compared as text only
        "neg": -7,
        "float": 0.1,
        "whole_float": 3.0,
        "tiny": 1e-300,
        "bool_t": True,
        "bool_f": False,
        "str": "gbm",
        "numeric_text": "42",
        "empty": "",
        "none": None,
    }
    store.run_data.log_batch(run_id, params=values)
    got = store.runs.get(run_id).params
    assert got == values
    for key, value in values.items():
        assert type(got[key]) is type(value), key


def test_non_finite_float_params_round_trip(store: SqlStore, run_id: str) -> None:
    store.run_data.log_batch(run_id, params={"n": math.nan, "i": math.inf, "j": -math.inf})
    got = store.runs.get(run_id).params
    assert math.isnan(got["n"])  # type: ignore[arg-type]
    assert got["i"] == math.inf and got["j"] == -math.inf


def test_same_param_again_is_fine(store: SqlStore, run_id: str) -> None:
    params = {"lr": 0.1, "n": 3, "name": "x", "flag": True, "none": None, "nan": math.nan}
    store.run_data.log_batch(run_id, params=params)
    store.run_data.log_batch(run_id, params=params)
    assert store.runs.get(run_id).params.keys() == params.keys()


CHANGES = [
    (0.1, 0.2),
    (1, 1.0),
    (1, True),
    ("1", 1),
    (None, "x"),
    (3, 4),
    ("a", "b"),
    (False, None),
]


def test_changing_a_param_is_a_conflict(store: SqlStore, run_id: str) -> None:
    firsts = {f"p{i}": first for i, (first, _) in enumerate(CHANGES)}
    store.run_data.log_batch(run_id, params=firsts)  # type: ignore[arg-type]
    for i, (first, second) in enumerate(CHANGES):
        with pytest.raises(Conflict, match=f"param 'p{i}' is already .*params are immutable"):
            store.run_data.log_batch(run_id, params={f"p{i}": second})  # type: ignore[dict-item]
    assert store.runs.get(run_id).params == firsts


def test_conflicting_batch_writes_nothing(store: SqlStore, run_id: str) -> None:
    store.run_data.log_batch(run_id, params={"p": 1})
    with pytest.raises(Conflict):
        store.run_data.log_batch(
            run_id,
            params={"q": 2, "p": 5},
            tags={"t": "v"},
            metrics=[MetricPoint("m", 1.0, 0, 1)],
        )
    run = store.runs.get(run_id)
    assert run.params == {"p": 1}
    assert run.tags == {}
    assert run.metrics == {}


def test_structured_params_are_refused(store: SqlStore, run_id: str) -> None:
    for bad in ([1, 2], {"a": 1}, b"bytes", object()):
        with pytest.raises(InvalidInput, match="log structured values as an artifact"):
            store.run_data.log_batch(run_id, params={"p": bad})  # type: ignore[dict-item]
    assert store.runs.get(run_id).params == {}


def test_huge_param_is_refused_with_a_hint(store: SqlStore, run_id: str) -> None:
    with pytest.raises(InvalidInput, match="Log long text as an artifact"):
        store.run_data.log_batch(run_id, params={"p": "x" * 100_000})
    assert store.runs.get(run_id).params == {}


def test_tags_upsert(store: SqlStore, run_id: str) -> None:
    store.run_data.log_batch(run_id, tags={"stage": "dev", "owner": "ana"})
    store.run_data.log_batch(run_id, tags={"stage": "prod"})
    assert store.runs.get(run_id).tags == {"stage": "prod", "owner": "ana"}


def test_unicode_keys_round_trip(store: SqlStore, run_id: str) -> None:
    keys = ["точность", "精度", "🚀 speed", "naïve"]
    store.run_data.log_batch(
        run_id,
        metrics=[MetricPoint(k, float(i), 0, 1) for i, k in enumerate(keys)],
        params={k: f"значение {k}" for k in keys},
        tags=dict.fromkeys(keys, "🏷️"),
    )
    run = store.runs.get(run_id)
    assert run.metrics == {k: float(i) for i, k in enumerate(keys)}
    assert run.params == {k: f"значение {k}" for k in keys}
    assert run.tags == dict.fromkeys(keys, "🏷️")
    assert [p.value for p in store.run_data.metric_history(run_id, "精度")] == [1.0]


def test_empty_batch_is_a_no_op(store: SqlStore, run_id: str) -> None:
    store.run_data.log_batch(run_id)
    assert store.runs.get(run_id).metrics == {}
