"""Models crossing a step boundary: saved through their shipyard flavor, with a signature.

A flavor needs a sample input to record what ``predict`` takes. A step that
returns a fitted model gets one for free when one of its inputs is a pandas
DataFrame holding the model's features (the columns of ``feature_names_in_``
for scikit-learn, or all columns when the counts match); otherwise it says so
by returning ``sy.pipelines.Model(model, sample_input=X.head())``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.pipelines.errors import UnstorableValue

_SAMPLE_ROWS = 5
# The attribute of a flavor's predictor that holds the object the step returned:
# a consuming step gets that object back (an estimator it can call predict_proba
# on, or register), not a wrapper. Other flavors arrive as a LoadedModel.
_RAW_ATTRIBUTE = {"sklearn": "estimator", "python_class": "instance"}


@dataclass(frozen=True)
class Model:
    """A model returned by a step, with what saving it needs.

    Attributes:
        model: the fitted model (anything a shipyard flavor saves).
        sample_input: a few rows of what ``predict`` takes, for the signature.
        signature: a ``Signature`` to use instead of inferring one.
        flavor: a flavor name, when the automatic choice is not the right one.
    """

    model: Any
    sample_input: Any = None
    signature: Any = None
    flavor: str | None = None


def save_model_value(value: Any, folder: Any, sample_frames: Sequence[Any]) -> str:
    """Save a model (or a ``Model``) into ``folder``; return a one-line summary."""
    from shipyard.assets.models.model_folder import save_model

    wrapped = value if isinstance(value, Model) else Model(value)
    sample = wrapped.sample_input
    if sample is None and wrapped.signature is None:
        sample = infer_sample(wrapped.model, sample_frames)
    if sample is None and wrapped.signature is None:
        raise UnstorableValue(
            f"the step returned a model ({_kind(wrapped.model)}) but shipyard needs a sample of "
            "its input for the signature and none of the step's inputs is a DataFrame of its "
            "features: return sy.pipelines.Model(model, sample_input=X.head()) instead"
        )
    meta = save_model(
        wrapped.model,
        folder,
        sample_input=sample,
        signature=wrapped.signature,
        flavor=wrapped.flavor,
    )
    return f"model ({meta['flavor']}: {_kind(wrapped.model)})"


def load_model_value(folder: Any) -> Any:
    """The model saved in ``folder``: the original object where the flavor keeps it."""
    from shipyard.assets.models.model_folder import load_model

    # Values between steps were written by this pipeline's own steps.
    loaded = load_model(folder, trusted=True)
    attribute = _RAW_ATTRIBUTE.get(loaded.flavor)
    if attribute is not None and hasattr(loaded.predictor, attribute):
        return getattr(loaded.predictor, attribute)
    return loaded


def infer_sample(model: Any, frames: Sequence[Any]) -> Any:
    """A few rows of the first DataFrame input that holds exactly the model's features."""
    names = getattr(model, "feature_names_in_", None)
    count = getattr(model, "n_features_in_", None)
    for frame in frames:
        columns = [str(c) for c in frame.columns]
        if names is not None:
            wanted = [str(n) for n in names]
            if all(n in columns for n in wanted):
                return frame[wanted].head(_SAMPLE_ROWS)
        elif count is None or count == len(columns):
            return frame.head(_SAMPLE_ROWS)
    return None


def _kind(obj: Any) -> str:
    return type(obj).__qualname__
