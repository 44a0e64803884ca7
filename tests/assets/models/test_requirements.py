"""Requirements: the installed versions of the packages a saved model needs."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from shipyard.assets.models import capture_requirements, get_flavor
from shipyard.assets.models.requirements import object_modules


def test_sklearn_requirements(iris_pipeline: Any) -> None:
    found = capture_requirements(get_flavor("sklearn"), iris_pipeline)
    for name in ("scikit-learn", "skops", "numpy", "scipy", "pandas", "shipyard"):
        assert found[name] == version(name)
    assert list(found) == sorted(found, key=str.lower)


def test_onnx_requirements() -> None:
    found = capture_requirements(get_flavor("onnx"), b"")
    assert found["onnxruntime"] == version("onnxruntime")
    assert "scikit-learn" not in found


def test_the_modules_inside_a_pipeline_are_seen(iris_pipeline: Any) -> None:
    modules = object_modules(iris_pipeline)
    assert "sklearn.pipeline" in modules
    assert any(m.startswith("sklearn.linear_model") for m in modules)
    assert any(m.startswith("sklearn.preprocessing") for m in modules)


def test_packages_that_are_not_installed_are_left_out() -> None:
    class Flavor:
        name = "x"
        packages = ("numpy", "surely-not-installed-package")

    found = capture_requirements(Flavor(), None)  # type: ignore[arg-type]
    assert "numpy" in found and "surely-not-installed-package" not in found
