"""Logging through an active run: steps, params, tags, odd values, and clear refusals."""

from __future__ import annotations

import math

import pytest

import shipyard as sy
from shipyard.core.errors import Conflict, InvalidInput


def _steps(run_id: str, key: str) -> list[int]:
    return [p.step for p in sy.metric_history(run_id, key)]


def test_steps_default_to_one_past_the_last() -> None:
    with sy.start_run() as run:
        run.log_metric("a", 1.0)
        run.log_metric("a", 2.0)
        run.log_metric("b", 3.0)
        run.log_metric("a", 4.0, step=10)
        run.log_metric("a", 5.0)
        run.log_metrics({"x": 1.0, "y": 2.0})
        run.log_metrics({"x": 1.5, "y": 2.5})
        run.log_metrics({"x": 9.0}, step=100)
    assert _steps(run.id, "a") == [0, 1, 10, 11]
    assert _steps(run.id, "b") == [0]
    assert _steps(run.id, "x") == [0, 1, 100]
    assert _steps(run.id, "y") == [0, 1]
    assert sy.get_run(run.id).metrics == {"a": 5.0, "b": 3.0, "x": 9.0, "y": 2.5}


def test_explicit_timestamp_is_kept() -> None:
    with sy.start_run() as run:
        run.log_metric("m", 1.0, step=3, timestamp=1_234)
    (point,) = sy.metric_history(run.id, "m")
    assert (point.step, point.timestamp, point.value) == (3, 1_234, 1.0)


def test_ints_and_numpy_scalars_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    with sy.start_run() as run:
        run.log_metric("int", 3)
        run.log_metric("f32", np.float32(0.5))
        run.log_metric("i64", np.int64(7))
        run.log_params({"n": np.int64(100), "lr": np.float64(0.25)})
        run.log_params({"n": 100, "lr": 0.25})  # the same values again
    stored = sy.get_run(run.id)
    assert stored.metrics == {"int": 3.0, "f32": 0.5, "i64": 7.0}
    assert stored.params == {"n": 100, "lr": 0.25}
    assert type(stored.params["n"]) is int and type(stored.params["lr"]) is float


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0.5", "must be a number"),
        (None, "must be a number"),
        (True, "must be a number"),
        ([1.0], "must be a number"),
        ({"v": 1}, "must be a number"),
        (object(), "must be a number"),
        (10**400, "is too large for a 64-bit float"),
    ],
    ids=["str", "none", "bool", "list", "dict", "object", "huge-int"],
)
def test_non_number_metric_is_invalid(bad: object, message: str) -> None:
    with sy.start_run() as run:
        with pytest.raises(InvalidInput, match=f"metric 'acc' {message}"):
            run.log_metric("acc", bad)  # type: ignore[arg-type]
        run.log_metric("acc", 0.5)
    assert [p.value for p in sy.metric_history(run.id, "acc")] == [0.5]


@pytest.mark.parametrize("bad", [1.5, "3", True])
def test_non_integer_step_is_invalid(bad: object) -> None:
    with sy.start_run() as run, pytest.raises(InvalidInput, match="step must be an integer"):
        run.log_metric("m", 1.0, step=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "k" * 251, 5, None])
def test_bad_metric_names_are_invalid(bad: object) -> None:
    with sy.start_run() as run, pytest.raises(InvalidInput):
        run.log_metric(bad, 1.0)  # type: ignore[arg-type]


def test_nan_and_infinities_round_trip() -> None:
    with sy.start_run() as run:
        run.log_metric("diverged", 1.0)
        run.log_metric("diverged", math.nan)
        run.log_metric("up", math.inf)
        run.log_metric("down", -math.inf)
    stored = sy.get_run(run.id)
    assert math.isnan(stored.metrics["diverged"])
    assert stored.metrics["up"] == math.inf
    assert stored.metrics["down"] == -math.inf
    values = [p.value for p in sy.metric_history(run.id, "diverged")]
    assert values[0] == 1.0 and math.isnan(values[1])
    assert [p.value for p in sy.metric_history(run.id, "up")] == [math.inf]
    assert [p.value for p in sy.metric_history(run.id, "down")] == [-math.inf]
    # the JSON form a server sends keeps them too
    back = sy.Run.from_dict(stored.to_dict())
    assert math.isnan(back.metrics["diverged"]) and back.metrics["down"] == -math.inf


def test_params_keep_types_and_are_immutable() -> None:
    with sy.start_run(params={"lr": 0.1}) as run:
        run.log_param("lr", 0.1)  # the same value is fine
        run.log_params({"layers": 3, "act": "relu", "dropout": None, "bn": False})
        with pytest.raises(Conflict, match=r"param 'lr' is already 0\.1.*params are immutable"):
            run.log_param("lr", 0.2)
        with pytest.raises(Conflict):
            run.log_param("layers", 3.0)  # a float is not the int that was logged
        run.log_metric("still", 1.0)  # the run goes on
    stored = sy.get_run(run.id)
    assert stored.status == "finished"
    assert stored.params == {"lr": 0.1, "layers": 3, "act": "relu", "dropout": None, "bn": False}
    assert type(stored.params["layers"]) is int and stored.params["bn"] is False


def test_huge_param_says_to_log_an_artifact() -> None:
    with sy.start_run() as run:
        with pytest.raises(InvalidInput, match=r"100,000 characters.*Log long text as an artifact"):
            run.log_param("prompt", "x" * 100_000)
        run.log_text("x" * 100_000, "prompt.txt")  # which works
    assert sy.get_run(run.id).params == {}


def test_huge_param_at_start_creates_no_run() -> None:
    with pytest.raises(InvalidInput, match="Log long text as an artifact"):
        sy.start_run(experiment="big", params={"prompt": "y" * 100_000})
    assert sy.active_run() is None
    assert sy.search_runs().runs == []


def test_tags_can_change() -> None:
    with sy.start_run(tags={"stage": "dev"}) as run:
        run.set_tag("stage", "prod")
        run.set_tags({"owner": "ana", "n": 3})  # type: ignore[dict-item]
    tags = sy.get_run(run.id).tags
    assert tags["stage"] == "prod" and tags["owner"] == "ana" and tags["n"] == "3"


def test_user_tag_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "grace")
    with sy.start_run() as run:
        pass
    with sy.start_run(tags={"user": "ada"}) as other:
        pass
    assert sy.get_run(run.id).tags["user"] == "grace"
    assert sy.get_run(other.id).tags["user"] == "ada"


def test_unicode_names_round_trip() -> None:
    keys = ["точность", "精度", "🚀"]
    with sy.start_run(experiment="実験", name="запуск 🚀") as run:
        for i, key in enumerate(keys):
            run.log_metric(key, 0.5 + i / 10)
            run.log_param(key, f"значение-{i}")
            run.set_tag(key, "✓")
    stored = sy.get_run(run.id)
    assert stored.experiment == "実験" and stored.name == "запуск 🚀"
    assert stored.metrics == {"точность": 0.5, "精度": 0.6, "🚀": 0.7}
    assert stored.params == {k: f"значение-{i}" for i, k in enumerate(keys)}
    assert stored.tags | {"user": "x"} == dict.fromkeys(keys, "✓") | {"user": "x"}
    assert [p.value for p in sy.metric_history(run.id, "精度")] == [0.6]
    found = sy.search_runs(
        "metrics.точность > 0.4 and params.`🚀` = 'значение-2'", experiments=["実験"]
    )
    assert [r.id for r in found.runs] == [run.id]


def test_flush_returns_the_points_written() -> None:
    with sy.start_run() as run:
        for i in range(10):
            run.log_metric("m", float(i))
        written = run.flush()
        # the background writer may have taken some first; together they are all there
        assert 0 <= written <= 10
        assert run.flush() == 0
        assert len(sy.metric_history(run.id, "m")) == 10


def test_logging_after_the_run_ended_is_not_lost() -> None:
    with sy.start_run() as run:
        run.log_metric("train_loss", 0.5)
    run.log_metric("test_acc", 0.93)  # after the block: written at once
    run.log_metrics({"a": 1.0, "b": 2.0})
    assert sy.get_run(run.id).metrics == {"train_loss": 0.5, "test_acc": 0.93, "a": 1.0, "b": 2.0}
    assert sy.get_run(run.id).status == "finished"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step": 2**63}, "does not fit in 64 bits"),
        ({"step": -(2**63) - 1}, "does not fit in 64 bits"),
        ({"timestamp": "now"}, "timestamp must be an integer"),
        ({"timestamp": 1.5}, "timestamp must be an integer"),
        ({"timestamp": 2**64}, "does not fit in 64 bits"),
    ],
)
def test_a_bad_point_is_refused_at_once_and_does_not_block_the_rest(
    kwargs: dict[str, object], message: str
) -> None:
    with sy.start_run() as run:
        run.log_metric("m", 1.0)
        with pytest.raises(InvalidInput, match=message):
            run.log_metric("m", 2.0, **kwargs)  # type: ignore[arg-type]
        run.log_metric("m", 3.0)
        run.flush()
    assert [p.value for p in sy.metric_history(run.id, "m")] == [1.0, 3.0]
