"""The package versions a saved model needs: the flavor's own, plus those its objects come from.

A pipeline with an XGBoost step needs ``xgboost`` as well as ``scikit-learn``:
besides the flavor's ``packages``, the distributions that provide the model's
class and (for estimators) the classes of its parameters are recorded.
Packages that are not installed are left out rather than guessed; shipyard
itself is always listed, since it reads the model folder.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from typing import Any

from shipyard.assets.models.flavors.protocol import Flavor


def capture_requirements(flavor: Flavor, obj: object = None) -> dict[str, str]:
    """``{distribution: installed version}`` for what loading ``obj`` with ``flavor`` needs."""
    wanted = ["shipyard", *flavor.packages]
    for module in object_modules(obj):
        wanted += _distributions().get(module.partition(".")[0], [])
    found: dict[str, str] = {}
    for name in wanted:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def object_modules(obj: object) -> set[str]:
    """The modules of ``obj``'s class and of the estimators and values inside it."""
    seen: set[str] = set()
    stack: list[Any] = [obj]
    visited: set[int] = set()
    while stack:
        item = stack.pop()
        if item is None or id(item) in visited:
            continue
        visited.add(id(item))
        module = getattr(type(item), "__module__", None)
        if isinstance(module, str) and module != "builtins":
            seen.add(module)
        get_params = getattr(item, "get_params", None)
        if callable(get_params) and not isinstance(item, type):
            try:
                stack.extend(get_params(deep=True).values())
            except TypeError:
                continue
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return seen


@functools.cache
def _distributions() -> Mapping[str, list[str]]:
    return packages_distributions()
