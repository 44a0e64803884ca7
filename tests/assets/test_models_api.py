"""sy.models: register fitted models with a signature, load them back, predict with checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import shipyard as sy
from shipyard.core.errors import Forbidden, InvalidInput

pytestmark = pytest.mark.usefixtures("registry_backend")


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, np.ndarray]:
    data = load_iris(as_frame=True)
    x = data.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    return x, data.target.to_numpy()


def test_sklearn_pipeline_round_trip_with_signature_and_run_metrics(iris) -> None:
    x, y = iris
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    with sy.start_run(name="fit") as run:
        run.log_metric("accuracy", float(model.score(x, y)))
        v = sy.models.register(model, "iris", sample_input=x.head(5))
    assert v.ref == "model:iris@1" and v.run_id == run.id
    assert v.metadata["flavor"] == "sklearn"
    assert [c["name"] for c in v.metadata["signature"]["inputs"]] == list(x.columns)
    assert "scikit-learn" in v.metadata["requirements"]
    assert v.metadata["run_metrics"]["accuracy"] > 0.9

    loaded = sy.models.load("model:iris@latest")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # Columns in another order, plus an extra one: reordered and dropped.
    shuffled = x[list(reversed(x.columns))].assign(extra=1)
    np.testing.assert_array_equal(loaded.predict(shuffled), model.predict(x))


def test_signature_errors_name_the_column(iris) -> None:
    x, y = iris
    model = LogisticRegression(max_iter=500).fit(x, y)
    sy.models.register(model, "iris", sample_input=x.head(3))
    loaded = sy.models.load("model:iris")
    with pytest.raises(InvalidInput, match="petal_width"):
        loaded.predict(x.drop(columns=["petal_width"]))
    bad = x.head(3).astype({"sepal_length": object})
    bad.loc[bad.index[1], "sepal_length"] = "tall"
    with pytest.raises(InvalidInput, match="sepal_length"):
        loaded.predict(bad)


class Doubler:
    def __init__(self, factor: float = 2.0) -> None:
        self.factor = factor

    def predict(self, df):  # type: ignore[no-untyped-def]
        return df["x"].to_numpy() * self.factor


def test_python_class_model_needs_explicit_trust() -> None:
    sample = pd.DataFrame({"x": [1.0, 2.0]})
    sy.models.register(Doubler(3.0), "doubler", sample_input=sample)
    with pytest.raises(Forbidden, match="trusted=True"):
        sy.models.load("model:doubler")
    loaded = sy.models.load("model:doubler", trusted=True)
    np.testing.assert_array_equal(loaded.predict(sample), [3.0, 6.0])


def test_onnx_model_runs_with_onnxruntime(iris) -> None:
    from skl2onnx import to_onnx

    x, y = iris
    model = LogisticRegression(max_iter=500).fit(x.to_numpy(np.float32), y)
    proto = to_onnx(model, x.to_numpy(np.float32)[:1], options={"zipmap": False})
    sy.models.register(proto, "iris-onnx", sample_input=x.astype(np.float32).head(5))
    loaded = sy.models.load("model:iris-onnx@1")
    np.testing.assert_array_equal(
        loaded.predict(x.astype(np.float32)), model.predict(x.to_numpy(np.float32))
    )


def test_same_model_twice_is_one_version(iris) -> None:
    x, y = iris
    model = LogisticRegression(max_iter=500).fit(x, y)
    a = sy.models.register(model, "same", sample_input=x.head(3))
    b = sy.models.register(model, "same", sample_input=x.head(3))
    assert a.version == b.version == 1
