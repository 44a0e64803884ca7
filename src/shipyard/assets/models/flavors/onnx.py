"""ONNX models, run with onnxruntime on the CPU.

How signature columns feed the graph's inputs:

- one input of rank 2 (the usual ``[batch, features]`` from skl2onnx): every
  column, in signature order, as one matrix;
- several inputs, or one input of rank 1: one column per input, by name.

The first output that is not a probability output is what ``predict``
returns (an ``[n, 1]`` result is flattened to ``[n]``, like scikit-learn);
several such outputs come back as a DataFrame, one column each. An output
whose name contains ``prob`` (skl2onnx's ``probabilities`` or
``output_probability``, zipmapped or not) is what ``predict_proba`` returns.

ONNX is a graph of standard operators, not code, so loading needs no trust.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from shipyard.assets.models.flavors.protocol import Trust
from shipyard.assets.models.optional import require
from shipyard.core.errors import InvalidInput, NotFound

FILE = "model.onnx"

_DTYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(int16)": "int16",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


class OnnxFlavor:
    """An ``onnx.ModelProto``, the bytes of an ONNX model, or the path of a ``.onnx`` file."""

    name = "onnx"
    packages: tuple[str, ...] = ("onnxruntime", "onnx", "numpy", "pandas")

    def can_save(self, obj: object) -> bool:
        if isinstance(obj, bytes | bytearray):
            return True
        if isinstance(obj, str | Path):
            return str(obj).lower().endswith(".onnx")
        onnx = sys.modules.get("onnx")
        return onnx is not None and isinstance(obj, onnx.ModelProto)

    def save(self, obj: object, folder: Path) -> dict[str, Any]:
        if isinstance(obj, bytes | bytearray):
            data = bytes(obj)
        elif isinstance(obj, str | Path):
            if not Path(obj).is_file():
                raise NotFound(f"no ONNX file at {obj}")
            data = Path(obj).read_bytes()
        else:
            data = obj.SerializeToString()  # type: ignore[attr-defined]
        session = _session(data)
        (folder / FILE).write_bytes(data)
        return {
            "file": FILE,
            "inputs": [_describe(i) for i in session.get_inputs()],
            "outputs": [_describe(o) for o in session.get_outputs()],
        }

    def load(self, folder: Path, metadata: Mapping[str, Any], trusted: Trust = ()) -> OnnxModel:
        path = folder / str(metadata.get("file", FILE))
        if not path.is_file():
            raise NotFound(f"the model folder has no {path.name}")
        return OnnxModel(_session(path.read_bytes()))


class OnnxModel:
    """An onnxruntime session fed from a DataFrame."""

    predict_proba: Callable[[Any], Any] | None

    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs = list(session.get_inputs())
        names = [o.name for o in session.get_outputs()]
        self.proba_outputs = [n for n in names if "prob" in n.lower()]
        self.main_outputs = [n for n in names if n not in self.proba_outputs] or names
        self.predict_proba = self._predict_proba if self.proba_outputs else None

    def predict(self, frame: Any) -> Any:
        import pandas as pd  # type: ignore[import-untyped]

        results = self._run(self.main_outputs, frame)
        if len(results) == 1:
            return _flatten(results[0])
        columns = [_flatten(r) for r in results]
        if all(getattr(c, "ndim", 0) == 1 for c in columns):
            return pd.DataFrame(dict(zip(self.main_outputs, columns, strict=True)))
        return dict(zip(self.main_outputs, columns, strict=True))

    def _predict_proba(self, frame: Any) -> Any:
        import numpy as np

        (result,) = self._run(self.proba_outputs[:1], frame)
        if isinstance(result, list):  # ZipMap: one {class: probability} per row
            keys = list(result[0]) if result else []
            return np.array([[row[k] for k in keys] for row in result], dtype="float64")
        return result

    def _run(self, outputs: list[str], frame: Any) -> list[Any]:
        from onnxruntime.capi.onnxruntime_pybind11_state import (  # type: ignore[import-untyped]
            InvalidArgument,
        )

        try:
            return list(self.session.run(outputs, self._feed(frame)))
        except InvalidArgument as exc:
            raise ValueError(str(exc)) from exc

    def _feed(self, frame: Any) -> dict[str, Any]:
        if len(self.inputs) == 1 and len(self.inputs[0].shape or [0, 0]) != 1:
            (only,) = self.inputs
            return {only.name: frame.to_numpy(dtype=_dtype(only))}
        feed: dict[str, Any] = {}
        for spec in self.inputs:
            name = spec.name if spec.name in frame.columns else None
            if name is None and len(self.inputs) == 1 and frame.shape[1] == 1:
                name = frame.columns[0]
            if name is None:
                raise ValueError(
                    f"the ONNX model needs an input {spec.name!r} but the signature has no "
                    f"column of that name (columns: {', '.join(map(str, frame.columns))})"
                )
            values = frame[name].to_numpy(dtype=_dtype(spec))
            feed[spec.name] = values if len(spec.shape or [0]) == 1 else values.reshape(-1, 1)
        return feed


def _session(data: bytes) -> Any:
    require("onnxruntime", "the onnx model flavor")
    import onnxruntime as ort  # type: ignore[import-untyped]

    options = ort.SessionOptions()
    options.log_severity_level = (
        3  # errors only; onnxruntime's warnings are not the user's business
    )
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors derive from Exception only
        raise InvalidInput(f"onnxruntime cannot load this ONNX model: {exc}") from exc


def _dtype(spec: Any) -> str:
    dtype = _DTYPES.get(spec.type)
    if dtype is None:
        raise ValueError(
            f"ONNX input {spec.name!r} has type {spec.type}, which shipyard cannot feed"
        )
    return dtype


def _describe(spec: Any) -> dict[str, Any]:
    shape = spec.shape if isinstance(spec.shape, list) else []
    return {"name": spec.name, "type": spec.type, "shape": shape}


def _flatten(result: Any) -> Any:
    if getattr(result, "ndim", 0) == 2 and result.shape[1] == 1:
        return result.reshape(-1)
    return result
