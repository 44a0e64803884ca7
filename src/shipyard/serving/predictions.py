"""The one conversion from what a model returns to what a caller receives.

The REST server and batch inference both call ``predict_values``, so a row
gets the same answer (the same JSON-able value) whichever path served it.
"""

from __future__ import annotations

import math
from typing import Any

from shipyard.assets.models.loaded import LoadedModel


def predict_values(model: LoadedModel, frame: Any) -> list[Any]:
    """Predict ``frame`` (validated against the signature) and return one JSON value per row.

    An array output gives scalars (or lists, for 2-D outputs); a table output
    gives one dict per row. NaN and infinities become ``None``.
    """
    return to_values(model.predict(frame))


def to_values(output: Any) -> list[Any]:
    """One JSON-able value per row of a model output (numpy array, DataFrame, list)."""
    if hasattr(output, "to_dict") and hasattr(output, "columns"):  # a DataFrame
        rows = output.to_dict(orient="records")
        return [{str(k): _clean(v) for k, v in row.items()} for row in rows]
    if hasattr(output, "tolist"):
        output = output.tolist()
    return [_clean(v) for v in output]


def _clean(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
