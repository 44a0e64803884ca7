"""What a model flavor is: a way to save one kind of model object to a folder and load it back.

A flavor writes its own files into a folder and returns JSON-able metadata;
``load`` gets the folder and that metadata back and returns a ``Predictor``.
The signature, requirements and the ``shipyard_model.json`` that ties them
together are not the flavor's business (see ``model_folder``).

Loading can run code: a skops file names the classes to build, a Python class
model is its source. ``trusted`` is how a caller says what it accepts:
``()`` (the default) only what the flavor knows to be safe, a list of fully
qualified type names (as the error lists them), or ``True`` for everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeAlias

Trust: TypeAlias = Sequence[str] | bool
"""``True`` trusts everything in a model file; a list trusts those type names only."""


class Predictor(Protocol):
    """A loaded model ready to predict on a DataFrame already checked against its signature.

    ``predict_proba`` is ``None`` when the model has no class probabilities
    (a capability flag rather than a method that raises).
    """

    predict_proba: Callable[[Any], Any] | None

    def predict(self, frame: Any) -> Any:
        """Predictions for each row of ``frame``: a numpy array or a DataFrame."""
        ...


class Flavor(Protocol):
    """A way to save and load one kind of model.

    Attributes:
        name: the registry key, recorded in the model's metadata.
        packages: distributions whose versions are recorded as the model's
            requirements (``scikit-learn``, not ``sklearn``).
    """

    name: str
    packages: tuple[str, ...]

    def can_save(self, obj: object) -> bool:
        """Whether ``obj`` is a model of this flavor; must not import heavy packages needlessly."""
        ...

    def save(self, obj: object, folder: Path) -> dict[str, Any]:
        """Write ``obj`` into the existing, empty ``folder``; return JSON-able metadata."""
        ...

    def load(self, folder: Path, metadata: Mapping[str, Any], trusted: Trust = ()) -> Predictor:
        """Read the model ``save`` wrote; refuse (``Forbidden``) what ``trusted`` does not allow."""
        ...


def trusted_names(trusted: Trust) -> set[str] | None:
    """The trusted type names, or ``None`` when everything is trusted.

    A lone string is one name, not a sequence of one-letter names.
    """
    if trusted is True:
        return None
    if trusted is False:
        return set()
    if isinstance(trusted, str):
        return {trusted}
    return {str(name) for name in trusted}
