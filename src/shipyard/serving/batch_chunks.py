"""Predicting one chunk of a batch job: the same values the REST server returns, as Arrow columns.

Both executors call ``prediction_columns``: the local one in the driver, the
Ray one inside each worker. The ``prediction`` column holds exactly what
``predict_values`` gives the REST server for those rows; its Arrow type
comes from the model's signature where it names one, so that every chunk
(and every way of cutting the input into chunks) gives the same file.
"""

from __future__ import annotations

from typing import Any

from shipyard.assets.models.loaded import LoadedModel
from shipyard.core.errors import InvalidInput
from shipyard.serving.batch_io import Chunk
from shipyard.serving.predictions import predict_values

PREDICTION = "prediction"
PROBA_PREFIX = "proba_"


def prediction_columns(model: LoadedModel, chunk: Chunk, proba: bool = False) -> Any:
    """A table of ``prediction`` (and ``proba_<class>``) for the rows of ``chunk``, in order.

    The rows are numbered from ``chunk.start``, so a signature error names
    the row of the whole input, not of the chunk.
    """
    import pandas as pd  # type: ignore[import-untyped]
    import pyarrow as pa  # type: ignore[import-untyped]

    frame = chunk.table.to_pandas()
    frame.index = pd.RangeIndex(chunk.start, chunk.start + len(frame))
    names = [PREDICTION]
    arrays = [_array(predict_values(model, frame), prediction_type(model))]
    if proba:
        for label, column in _proba_columns(model, frame):
            names.append(PROBA_PREFIX + label)
            arrays.append(column)
    return pa.Table.from_arrays(arrays, names=names)


def empty_prediction_fields(model: LoadedModel, proba: bool) -> list[Any]:
    """The prediction fields of an output with no rows (the model is not called)."""
    import pyarrow as pa

    fields = [pa.field(PREDICTION, prediction_type(model) or pa.null())]
    if proba:
        labels = _labels(model, None)
        fields += [pa.field(PROBA_PREFIX + label, pa.float64()) for label in labels or []]
    return fields


def check_free_names(model: LoadedModel, input_names: list[str], proba: bool) -> None:
    """Refuse an input that already has a column the output would add."""
    taken = [n for n in input_names if n == PREDICTION or (proba and n.startswith(PROBA_PREFIX))]
    if taken:
        raise InvalidInput(
            f"the input already has column(s) {', '.join(map(repr, taken))}, which the output "
            "adds; rename or drop them first"
        )
    if proba and not model.has_proba:
        raise InvalidInput(
            f"this {model.flavor} model has no predict_proba (only classifiers that expose "
            "class probabilities have it); run without --proba"
        )


def prediction_type(model: LoadedModel) -> Any:
    """The Arrow type of ``prediction`` the signature promises, or ``None`` to infer it."""
    import pyarrow as pa

    output = model.signature.output
    if output is None:
        return None
    scalar = {
        "integer": pa.int64(),
        "float": pa.float64(),
        "string": pa.string(),
        "boolean": pa.bool_(),
    }.get(output.type)
    if scalar is None:
        return None
    if output.shape is not None and len(output.shape) == 2:
        return pa.list_(scalar)
    if output.shape is not None and len(output.shape) > 2:
        return None
    return scalar


def _array(values: list[Any], target: Any) -> Any:
    import pyarrow as pa

    if target is not None:
        try:
            return pa.array(values, type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # the model returned something else than its signature said: keep what it gave
    return pa.array(values)


def _proba_columns(model: LoadedModel, frame: Any) -> list[tuple[str, Any]]:
    import numpy as np
    import pyarrow as pa

    probabilities = np.asarray(model.predict_proba(frame), dtype="float64")
    if probabilities.ndim == 1:
        probabilities = probabilities.reshape(-1, 1)
    labels = _labels(model, probabilities.shape[1]) or [
        str(i) for i in range(probabilities.shape[1])
    ]
    # NaN and infinities become nulls, as predict_values makes them None for the REST path.
    return [
        (label, pa.array(column, mask=~np.isfinite(column)))
        for label, column in zip(labels, probabilities.T, strict=True)
    ]


def _labels(model: LoadedModel, width: int | None) -> list[str] | None:
    """The class labels, from the estimator (or Python class) that the model wraps."""
    predictor = model.predictor
    for holder in (getattr(predictor, "estimator", None), getattr(predictor, "instance", None)):
        classes = getattr(holder, "classes_", None)
        if classes is not None and (width is None or len(classes) == width):
            return [str(c.item() if hasattr(c, "item") else c) for c in classes]
    return None
