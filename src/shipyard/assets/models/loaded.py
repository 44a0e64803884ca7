"""A model ready to use: a flavor's predictor behind its signature.

``predict`` checks the input against the signature first, so a wrong column
or type is an ``InvalidInput`` naming the column, never a traceback from deep
inside scikit-learn or onnxruntime. An input that passes the signature but
that the model still rejects (an unseen category, a NaN the estimator cannot
take) is also an ``InvalidInput``, with the model's own message; anything
else the model raises is a ``Failure``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.assets.models.flavors.protocol import Predictor
from shipyard.assets.models.signature import Signature
from shipyard.core.errors import Failure, InvalidInput, ShipyardError

_INPUT_ERRORS = (ValueError, TypeError, KeyError, IndexError)


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model: ``predict(data)`` validates ``data`` and returns the predictions.

    Attributes:
        flavor: the flavor name (``sklearn``, ``onnx``, ``python_class``, …).
        signature: the input columns and types enforced on every call.
        predictor: the flavor's object, for anyone who needs the raw model.
        metadata: what was recorded when the model was saved.
    """

    flavor: str
    signature: Signature
    predictor: Predictor
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_proba(self) -> bool:
        """Whether ``predict_proba`` is available (classifiers, mostly)."""
        return self.predictor.predict_proba is not None

    def predict(self, data: Any) -> Any:
        """Predictions for ``data`` (a DataFrame, dict of columns, list of row dicts, 2-D array).

        Returns a numpy array, or a DataFrame for models that return tables.
        """
        return self._call(self.predictor.predict, data, "predict")

    def predict_proba(self, data: Any) -> Any:
        """Class probabilities, one row per input row and one column per class."""
        proba = self.predictor.predict_proba
        if proba is None:
            raise InvalidInput(
                f"this {self.flavor} model has no predict_proba (only classifiers that "
                "expose class probabilities have it); use predict"
            )
        return self._call(proba, data, "predict_proba")

    def _call(self, method: Callable[[Any], Any], data: Any, what: str) -> Any:
        frame = self.signature.validate(data)
        try:
            return method(frame)
        except ShipyardError:
            raise
        except _INPUT_ERRORS as exc:
            raise InvalidInput(
                f"the model rejected the input in {what}: {_first_line(exc)}"
            ) from exc
        except Exception as exc:
            raise Failure(
                f"the {self.flavor} model failed in {what}: {type(exc).__name__}: {_first_line(exc)}"
            ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
