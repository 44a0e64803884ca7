"""Values between steps: tables, arrays, models and JSON round-trip; anything else is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.pipelines import tags as T


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "income": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "age": [20, 30, 40, 50, 60, 70],
            "city": pd.Categorical(["a", "b", "a", "b", "a", "b"]),
            "label": [0, 0, 0, 1, 1, 1],
        },
        index=pd.Index([10, 11, 12, 13, 14, 15], name="customer"),
    )


@sy.step
def produce() -> tuple[pd.DataFrame, pd.Series, np.ndarray, pa.Table, dict[str, object]]:
    data = frame()
    return (
        data,
        data["income"].rename("income"),
        np.arange(12, dtype=np.float32).reshape(3, 4),
        pa.table({"k": ["x", "y"], "v": [1, 2]}),
        {"name": "credit", "sizes": [1, 2.5, None], "nested": {"ok": True}, "count": np.int64(3)},
    )


@sy.step
def fit(data: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression().fit(data[["income", "age"]], data["label"])


@sy.step
def wrapped_fit(data: pd.DataFrame) -> sy.pipelines.Model:
    model = LogisticRegression().fit(data[["income"]].to_numpy(), data["label"])
    return sy.pipelines.Model(model, sample_input=data[["income"]].head(2))


@sy.step
def check(
    data: pd.DataFrame,
    series: pd.Series,
    array: np.ndarray,
    table: pa.Table,
    doc: dict[str, object],
    model: LogisticRegression,
    other: object,
) -> dict[str, object]:
    pd.testing.assert_frame_equal(data, frame())
    pd.testing.assert_series_equal(series, frame()["income"])
    assert array.dtype == np.float32 and array.shape == (3, 4)
    assert table.equals(pa.table({"k": ["x", "y"], "v": [1, 2]}))
    assert isinstance(model, LogisticRegression)  # the estimator itself, not a wrapper
    return {
        "doc": doc,
        "proba": model.predict_proba(data[["income", "age"]])[:, 1].round(6).tolist(),
        "other": other.predict(data[["income"]].to_numpy()).tolist(),  # type: ignore[attr-defined]
    }


@sy.pipeline
def round_trip() -> None:
    data, series, array, table, doc = produce()
    check(data, series, array, table, doc, fit(data), wrapped_fit(data))


def test_every_kind_of_value_round_trips(executor) -> None:
    result = sy.pipelines.run(round_trip, executor=executor)

    assert result.status == "finished"
    codecs = [o.codec for o in result.step("produce").outputs]
    assert codecs == ["pandas", "pandas_series", "numpy", "arrow", "json"]
    assert result.step("fit").outputs[0].codec == "model"
    assert result.step("fit").outputs[0].summary == "model (sklearn: LogisticRegression)"
    checked = result.load("check")
    expected = LogisticRegression().fit(frame()[["income", "age"]], frame()["label"])
    assert (
        checked["proba"]
        == expected.predict_proba(frame()[["income", "age"]])[:, 1].round(6).tolist()
    )
    assert checked["doc"] == {
        "name": "credit",
        "sizes": [1, 2.5, None],
        "nested": {"ok": True},
        "count": 3,
    }
    pd.testing.assert_frame_equal(result.load("produce", 0), frame())
    assert result.load("produce", 2).tolist() == np.arange(12).reshape(3, 4).tolist()

    # The model output is a saved shipyard model with a signature of the features only.
    from shipyard.assets.models.model_folder import read_model_metadata

    ws = result.workspace
    fit_run = result.step("fit").run_id
    assert fit_run is not None
    folder = ws.settings.home.parent / "fit-model"
    sy.download_artifacts(fit_run, "outputs/0", folder)
    metadata = read_model_metadata(folder / "outputs" / "0")
    assert [c["name"] for c in metadata["signature"]["inputs"]] == ["income", "age"]


@sy.step
def make_lock() -> object:
    import threading

    return threading.Lock()


@sy.pipeline
def unstorable() -> None:
    make_lock()


def test_an_output_that_cannot_be_stored_fails_clearly_without_retries(executor) -> None:
    failing = sy.step(retries=3, retry_delay=0.01)(make_lock.fn)

    @sy.pipeline
    def with_retries() -> None:
        failing()

    with pytest.raises(sy.pipelines.PipelineFailed) as failed:
        sy.pipelines.run(with_retries, executor=executor)
    message = failed.value.message
    assert "UnstorableValue" in message and "_thread.lock cannot be stored" in message
    assert "never pickles" in message
    assert sy.pipelines.describe(failed.value.run_id).step("make_lock").attempts == 1


@sy.step
def bare_model() -> LogisticRegression:
    return LogisticRegression().fit([[0.0], [1.0]], [0, 1])


@sy.pipeline
def no_sample() -> None:
    bare_model()


def test_a_model_without_a_sample_input_says_how_to_give_one() -> None:
    with pytest.raises(
        sy.pipelines.PipelineFailed, match=r"sy\.pipelines\.Model\(model, sample_input="
    ):
        sy.pipelines.run(no_sample, executor="inline")


class Opaque:
    pass


@sy.step
def takes(value: object) -> int:
    return 1


@sy.pipeline
def passes_opaque() -> None:
    takes(Opaque())


def test_a_driver_value_that_cannot_be_stored_fails_before_any_step() -> None:
    with pytest.raises(sy.pipelines.UnstorableValue, match="Opaque cannot be stored"):
        sy.pipelines.run(passes_opaque, executor="inline")
    failed = sy.pipelines.list_runs()[0]
    assert failed.status == "failed" and "UnstorableValue" in (failed.error or "")


@sy.step
def rows(data: pd.DataFrame) -> int:
    return len(data)


@sy.pipeline
def from_dataset(dataset: str = "dataset:people@latest") -> None:
    rows(sy.datasets.load(dataset))


def test_a_loaded_dataset_is_stored_once_and_recorded_as_consumed() -> None:
    version = sy.datasets.register(frame().reset_index(), "people")
    first = sy.pipelines.run(from_dataset, executor="inline")
    second = sy.pipelines.run(from_dataset, executor="inline")

    assert first.load("rows") == 6
    assert second.step("rows").status == "cached"  # the same table gives the same digest
    ws = first.workspace
    edges = ws.store.lineage.edges(runs=[first.run_id])
    assert [(e.relation, str(e.version)) for e in edges] == [("consumed", str(version.ref))]
    inputs = [a.path for a in ws.store.artifacts.list(first.run_id) if a.path.startswith("inputs/")]
    assert inputs == ["inputs/rows/data/value.parquet"]
    assert first.step("rows").inputs == {"data": "pipeline: DataFrame 6 rows × 5 columns"}
    assert sy.get_run(first.step("rows").run_id).tags[T.KIND] == "step"  # type: ignore[arg-type]
