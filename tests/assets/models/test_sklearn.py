"""The sklearn flavor: skops files, untrusted types refused until trusted, predict as the original."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from shipyard.assets.models import load_model, read_model_metadata, save_model
from shipyard.core.errors import Conflict, Forbidden, InvalidInput


class Doubler(RegressorMixin, BaseEstimator):
    """A custom estimator: its class is not one skops trusts by default."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        self.factor_ = 2.0
        return self

    def predict(self, X: Any) -> Any:
        return np.asarray(X)[:, 0] * self.factor_


def test_pipeline_round_trip_predicts_like_the_original(
    iris: tuple[Any, Any], iris_pipeline: Any, tmp_path: Path
) -> None:
    X, _ = iris
    metadata = save_model(iris_pipeline, tmp_path / "m", sample_input=X.head(5))
    assert metadata["flavor"] == "sklearn"
    assert metadata["flavor_metadata"]["untrusted_types"] == []
    assert metadata["signature"]["output"] == {"type": "integer", "shape": [-1]}
    assert (tmp_path / "m" / "model.skops").is_file()
    assert not list((tmp_path / "m").glob("*.pkl"))

    model = load_model(tmp_path / "m")
    assert model.flavor == "sklearn" and model.has_proba
    np.testing.assert_array_equal(model.predict(X), iris_pipeline.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), iris_pipeline.predict_proba(X))
    # a record from a JSON body, with an extra field and columns out of order
    record = {"extra": 1, **dict(reversed(list(X.iloc[0].to_dict().items())))}
    assert model.predict(record).tolist() == iris_pipeline.predict(X.head(1)).tolist()


def test_breast_cancer_fitted_on_a_bare_array(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    metadata = save_model(pipeline, tmp_path / "m", sample_input=X[:3])
    assert [c["name"] for c in metadata["signature"]["inputs"]][:2] == ["f0", "f1"]
    model = load_model(tmp_path / "m")
    # a bare array in, no feature-name warning (warnings are errors here)
    np.testing.assert_array_equal(model.predict(X), pipeline.predict(X))


def test_wrong_input_is_invalid_input_naming_the_column(
    iris: tuple[Any, Any], iris_pipeline: Any, tmp_path: Path
) -> None:
    X, _ = iris
    save_model(iris_pipeline, tmp_path / "m", sample_input=X.head())
    model = load_model(tmp_path / "m")
    bad = X.head(3).astype(object)
    bad.loc[2, "petal_width"] = "wide"
    with pytest.raises(
        InvalidInput, match=r"column 'petal_width' \(float\): 'wide' \(str\) at row 2"
    ):
        model.predict(bad)
    with pytest.raises(InvalidInput, match=r"missing column\(s\) 'sepal_length'"):
        model.predict(X.drop(columns="sepal_length"))


def test_untrusted_types_are_refused_then_accepted_with_trust(tmp_path: Path) -> None:
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    metadata = save_model(Doubler().fit(X.to_numpy()), tmp_path / "m", sample_input=X)
    (name,) = metadata["flavor_metadata"]["untrusted_types"]
    assert name.endswith("Doubler")

    with pytest.raises(Forbidden, match=rf"not trusted by default: {name}\..*trusted=\['{name}'\]"):
        load_model(tmp_path / "m")
    with pytest.raises(Forbidden):
        load_model(tmp_path / "m", trusted=["something.Else"])
    for trusted in ([name], name, True):
        model = load_model(tmp_path / "m", trusted=trusted)
        assert model.predict(X).tolist() == [2.0, 4.0, 6.0]
        assert not model.has_proba


def test_predict_proba_is_refused_for_a_regressor(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    save_model(LinearRegression().fit(X, [1.0, 2.0, 3.0]), tmp_path / "m", sample_input=X)
    with pytest.raises(InvalidInput, match=r"this sklearn model has no predict_proba"):
        load_model(tmp_path / "m").predict_proba(X)


def test_unfitted_estimators_and_missing_samples_are_refused(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(InvalidInput, match=r"LogisticRegression is not fitted; call fit"):
        save_model(LogisticRegression(), tmp_path / "a", sample_input={"x": [1.0]})
    assert not (tmp_path / "a").exists()  # a failed save leaves nothing behind
    with pytest.raises(InvalidInput, match=r"pass sample_input="):
        save_model(Doubler().fit(None), tmp_path / "b")


def test_a_model_that_cannot_predict_on_its_sample_is_refused_at_save(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    fitted = LinearRegression().fit(pd.DataFrame({"x": [1.0, 2.0]}), [1.0, 2.0])
    with pytest.raises(InvalidInput, match=r"cannot predict on sample_input: the model rejected"):
        save_model(fitted, tmp_path / "m", sample_input={"y": [1.0]})
    assert not (tmp_path / "m").exists()


def test_save_wants_an_empty_folder_and_metadata_is_json(
    iris: tuple[Any, Any], iris_pipeline: Any, tmp_path: Path
) -> None:
    X, _ = iris
    folder = tmp_path / "m"
    save_model(iris_pipeline, folder, sample_input=X.head())
    with pytest.raises(Conflict, match=r"is not an empty folder"):
        save_model(iris_pipeline, folder, sample_input=X.head())
    on_disk = json.loads((folder / "shipyard_model.json").read_text())
    assert on_disk == read_model_metadata(folder)
    assert on_disk["requirements"]["scikit-learn"]


SAVE_IN_A_FRESH_PROCESS = """
import sys
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from shipyard.assets.models import save_model

rng = np.random.default_rng(0)
x = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, (x.a > 0).astype(int))
save_model(model, sys.argv[1], sample_input=x.head(3))
"""


def test_the_same_model_saved_by_two_processes_is_the_same_bytes(tmp_path: Path) -> None:
    # skops names array members after id() of live objects; two processes must
    # still write one file, or the registry and pipeline caches see two models.
    import subprocess
    import sys

    for name in ("a", "b"):
        subprocess.run(
            [sys.executable, "-c", SAVE_IN_A_FRESH_PROCESS, str(tmp_path / name)], check=True
        )
    first, second = (tmp_path / n / "model.skops" for n in ("a", "b"))
    assert first.read_bytes() == second.read_bytes()
    model = load_model(tmp_path / "a")
    assert model.predict(pd.DataFrame({"a": [2.0], "b": [0.0], "c": [0.0]})).tolist() == [1]
