"""`shipyard models register|show` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.cli.main import main


def test_register_an_onnx_file_and_show_it(tmp_path: Path, capsys) -> None:
    from skl2onnx import to_onnx

    x, y = load_iris(return_X_y=True, as_frame=True)
    x = x.astype(np.float32)
    model = LogisticRegression(max_iter=500).fit(x.to_numpy(), y)
    (tmp_path / "iris.onnx").write_bytes(
        to_onnx(model, x.to_numpy()[:1], options={"zipmap": False}).SerializeToString()
    )
    x.head(5).to_csv(tmp_path / "sample.csv", index=False)
    assert (
        main(
            [
                "models",
                "register",
                str(tmp_path / "iris.onnx"),
                "-n",
                "iris",
                "-s",
                str(tmp_path / "sample.csv"),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == "model:iris@1"
    assert main(["models", "show", "model:iris@1"]) == 0
    out = capsys.readouterr().out
    assert "onnx" in out and "sepal length (cm)" in out
    assert main(["models", "show", "model:iris", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["flavor"] == "onnx"
    loaded = sy.models.load("model:iris@1")
    assert (loaded.predict(x) == model.predict(x.to_numpy())).all()


def test_missing_file_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "s.csv").write_text("a\n1\n")
    assert (
        main(
            [
                "models",
                "register",
                str(tmp_path / "nope.onnx"),
                "-n",
                "m",
                "-s",
                str(tmp_path / "s.csv"),
            ]
        )
        == 2
    )
    assert "no model file" in capsys.readouterr().err
