"""The python_class flavor: source plus JSON state; loading runs code, so it needs trusted=True."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shipyard.assets.models import get_flavor, load_model, save_model
from shipyard.core.errors import Failure, Forbidden, InvalidInput


class ThresholdModel:
    """Flags rows whose ``x`` is above a threshold; uses numpy from the module's imports."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.labels = {"low": 0, "high": 1}

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        return np.where(df["x"].to_numpy() > self.threshold, self.labels["high"], 0)

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        high = (df["x"].to_numpy() > self.threshold).astype(float)
        return np.column_stack([1 - high, high])


class Picky:
    def predict(self, df: pd.DataFrame) -> Any:
        if (df["x"] < 0).any():
            raise ValueError("x must not be negative")
        if (df["x"] > 100).any():
            raise RuntimeError("out of memory, say")
        return df["x"].to_numpy()


class WithArray:
    def __init__(self) -> None:
        self.weights = np.ones(3)

    def predict(self, df: pd.DataFrame) -> Any:
        return df


SAMPLE = pd.DataFrame({"x": [0.1, 0.9]})


def test_round_trip_with_trust(tmp_path: Path) -> None:
    metadata = save_model(ThresholdModel(0.5), tmp_path / "m", sample_input=SAMPLE)
    assert metadata["flavor"] == "python_class"
    assert metadata["flavor_metadata"]["class"] == "ThresholdModel"
    source = (tmp_path / "m" / "model.py").read_text()
    assert "import numpy as np" in source and "class ThresholdModel" in source
    assert "import pytest" not in source  # only the imports the class uses

    model = load_model(tmp_path / "m", trusted=True)
    assert model.predict({"x": [0.2, 0.7, 0.8]}).tolist() == [0, 1, 1]
    assert model.predict_proba({"x": [0.7]}).tolist() == [[0.0, 1.0]]
    rebuilt = model.predictor.instance  # type: ignore[attr-defined]
    assert type(rebuilt) is not ThresholdModel  # rebuilt from the stored source
    assert rebuilt.threshold == 0.5 and rebuilt.labels == {"low": 0, "high": 1}


@pytest.mark.parametrize(
    "trusted", [(), False, ["ThresholdModel"], ["test_python_class.ThresholdModel"]]
)
def test_refused_without_trusted_true(tmp_path: Path, trusted: Any) -> None:
    save_model(ThresholdModel(0.5), tmp_path / "m", sample_input=SAMPLE)
    with pytest.raises(Forbidden, match=r"executes its stored source code .*trusted=True"):
        load_model(tmp_path / "m", trusted=trusted)


def test_state_that_is_not_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"attribute 'weights' of WithArray holds ndarray"):
        save_model(WithArray(), tmp_path / "m", sample_input=SAMPLE)
    odd = ThresholdModel(0.5)
    odd.labels = {1: "one"}  # type: ignore[dict-item]
    with pytest.raises(InvalidInput, match=r"attribute 'labels' .* keys become strings"):
        save_model(odd, tmp_path / "m", sample_input=SAMPLE)


def test_a_class_without_source_is_refused(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "typed_at_a_prompt"}
    exec("class Typed:\n    def predict(self, df):\n        return df\n", namespace)
    with pytest.raises(InvalidInput, match=r"cannot read the source of class Typed .*\.py module"):
        save_model(namespace["Typed"](), tmp_path / "m", sample_input=SAMPLE)


def test_a_class_needing_other_module_names_is_refused_at_save(tmp_path: Path) -> None:
    class UsesHelper:
        def predict(self, df: pd.DataFrame) -> Any:
            return _helper(df)

    with pytest.raises(InvalidInput, match=r"name '_helper' is not defined"):
        save_model(UsesHelper(), tmp_path / "m", sample_input=SAMPLE)


def test_model_errors_become_shipyard_errors(tmp_path: Path) -> None:
    save_model(Picky(), tmp_path / "m", sample_input=SAMPLE)
    model = load_model(tmp_path / "m", trusted=True)
    with pytest.raises(InvalidInput, match=r"the model rejected the input in predict: x must not"):
        model.predict({"x": [-1.0]})
    with pytest.raises(Failure, match=r"failed in predict: RuntimeError: out of memory"):
        model.predict({"x": [101.0]})
    with pytest.raises(InvalidInput, match=r"has no predict_proba"):
        model.predict_proba({"x": [1.0]})


def test_can_save_needs_a_predict_method_on_the_class() -> None:
    flavor = get_flavor("python_class")
    assert flavor.can_save(ThresholdModel(1.0))
    assert not flavor.can_save(ThresholdModel) and not flavor.can_save(object())


def _helper(df: pd.DataFrame) -> Any:
    return df["x"].to_numpy()
