"""Model flavors by name, as lazy ``module:Class`` strings.

Third parties add flavors through the ``shipyard.flavors`` entry-point group,
for example in their ``pyproject.toml``::

    [project.entry-points."shipyard.flavors"]
    xgboost = "shipyard_xgboost:XGBoostFlavor"

``flavor_for(obj)`` asks each flavor in turn whether it can save ``obj``: the
built-in specific ones, then third-party ones, and ``python_class`` (anything
with a ``predict`` method) last.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import cast

from shipyard.assets.models.flavors.protocol import Flavor, Predictor, Trust, trusted_names
from shipyard.core.errors import InvalidInput

ENTRY_POINT_GROUP = "shipyard.flavors"

FLAVORS: dict[str, str] = {
    "onnx": "shipyard.assets.models.flavors.onnx:OnnxFlavor",
    "sklearn": "shipyard.assets.models.flavors.sklearn:SklearnFlavor",
    "python_class": "shipyard.assets.models.flavors.python_class:PythonClassFlavor",
}

_LAST = "python_class"

__all__ = [
    "ENTRY_POINT_GROUP",
    "FLAVORS",
    "Flavor",
    "Predictor",
    "Trust",
    "flavor_for",
    "get_flavor",
    "known_flavors",
    "trusted_names",
]


def known_flavors() -> dict[str, str]:
    """Every flavor name → its ``module:Class``; a built-in name cannot be taken over."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**found, **FLAVORS}


def get_flavor(name: str) -> Flavor:
    """The flavor registered as ``name``."""
    target = known_flavors().get(name)
    if target is None:
        raise InvalidInput(
            f"unknown model flavor {name!r}; known: {', '.join(sorted(known_flavors()))}. "
            f"A third-party flavor comes from a package with a {ENTRY_POINT_GROUP!r} entry point."
        )
    return _instantiate(target)


def flavor_for(obj: object) -> Flavor:
    """The first flavor that can save ``obj``."""
    known = known_flavors()
    order = [n for n in FLAVORS if n != _LAST]
    order += [n for n in known if n not in FLAVORS]
    order.append(_LAST)
    for name in order:
        flavor = _instantiate(known[name])
        if flavor.can_save(obj):
            return flavor
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    raise InvalidInput(
        f"no flavor for object of type {kind}; known: {', '.join(sorted(known))} "
        "(a fitted scikit-learn estimator, an ONNX model, or an object whose class "
        "has a predict(self, df) method)"
    )


def _instantiate(target: str) -> Flavor:
    module, _, name = target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cast(Flavor, cls())
