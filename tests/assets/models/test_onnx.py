"""The onnx flavor: models from skl2onnx run with onnxruntime and predict like scikit-learn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shipyard.assets.models import get_flavor, load_model, save_model
from shipyard.core.errors import InvalidInput, NotFound


def to_onnx(model: Any, X: Any, **options: Any) -> Any:
    from skl2onnx import to_onnx as convert

    return convert(model, X.to_numpy(dtype=np.float32)[:1], options=options or None)


@pytest.mark.parametrize("zipmap", [True, False])
def test_classifier_predicts_like_sklearn(
    iris: tuple[Any, Any], iris_pipeline: Any, tmp_path: Path, zipmap: bool
) -> None:
    X, _ = iris
    onx = to_onnx(iris_pipeline, X, zipmap=zipmap)
    metadata = save_model(onx, tmp_path / "m", sample_input=X.head())
    assert metadata["flavor"] == "onnx"
    assert metadata["flavor_metadata"]["inputs"] == [
        {"name": "X", "type": "tensor(float)", "shape": [None, 4]}
    ]
    model = load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict(X), iris_pipeline.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), iris_pipeline.predict_proba(X), atol=1e-5)


def test_regressor_output_is_flat_like_sklearn(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.5, 0.1, 0.3, 0.2]})
    fitted = LinearRegression().fit(X, [1.0, 3.0, 2.0, 5.0])
    save_model(to_onnx(fitted, X), tmp_path / "m", sample_input=X)
    model = load_model(tmp_path / "m")
    prediction = model.predict(X)
    assert prediction.shape == (4,)
    np.testing.assert_allclose(prediction, fitted.predict(X), atol=1e-5)
    assert not model.has_proba


def test_from_a_file_path_and_from_bytes(
    iris: tuple[Any, Any], iris_pipeline: Any, tmp_path: Path
) -> None:
    X, _ = iris
    onx = to_onnx(iris_pipeline, X, zipmap=False)
    path = tmp_path / "iris.onnx"
    path.write_bytes(onx.SerializeToString())
    for source, folder in ((path, "a"), (str(path), "b"), (path.read_bytes(), "c")):
        save_model(source, tmp_path / folder, sample_input=X.head())
        assert load_model(tmp_path / folder).predict(X.head(3)).tolist() == [0, 0, 0]
    with pytest.raises(NotFound, match=r"no ONNX file at"):
        save_model(tmp_path / "missing.onnx", tmp_path / "d", sample_input=X.head())


def test_one_input_per_column_by_name(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["total"])],
        "add",
        [
            helper.make_tensor_value_info("a", TensorProto.DOUBLE, [None, 1]),
            helper.make_tensor_value_info("b", TensorProto.DOUBLE, [None, 1]),
        ],
        [helper.make_tensor_value_info("total", TensorProto.DOUBLE, [None, 1])],
    )
    onx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onx.ir_version = 8
    sample = pd.DataFrame({"b": [1.0, 2.0], "a": [10, 20]})
    save_model(onx, tmp_path / "m", sample_input=sample)
    model = load_model(tmp_path / "m")
    assert model.predict({"a": [1, 2], "b": [0.5, 0.25]}).tolist() == [1.5, 2.25]


def test_garbage_bytes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"onnxruntime cannot load this ONNX model"):
        save_model(b"not a model", tmp_path / "m", sample_input={"x": [1.0]})
    assert not (tmp_path / "m").exists()


def test_can_save_is_cheap_and_specific() -> None:
    flavor = get_flavor("onnx")
    assert flavor.can_save(b"...") and flavor.can_save("model.ONNX")
    assert not flavor.can_save("model.skops") and not flavor.can_save(object())
