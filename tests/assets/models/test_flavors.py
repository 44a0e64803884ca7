"""The flavor registry: lookup by name, choice by object, third-party flavors by entry point."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import shipyard.assets.models.flavors as registry
from shipyard.assets.models import flavor_for, get_flavor, known_flavors
from shipyard.assets.models.flavors.protocol import Trust, trusted_names
from shipyard.core.errors import InvalidInput


class WithPredict:
    def predict(self, df: Any) -> Any:
        return df


class FakeFlavor:
    name = "fake"
    packages: tuple[str, ...] = ()

    def can_save(self, obj: object) -> bool:
        return isinstance(obj, WithPredict)

    def save(self, obj: object, folder: Path) -> dict[str, Any]:
        return {}

    def load(self, folder: Path, metadata: Any, trusted: Trust = ()) -> Any:
        raise NotImplementedError


@pytest.fixture
def fake_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("shipyard_fake_flavor")
    module.FakeFlavor = FakeFlavor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "shipyard_fake_flavor", module)
    point = EntryPoint("fake", "shipyard_fake_flavor:FakeFlavor", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [point] if group == point.group else []
    )


def test_lookup_by_name() -> None:
    for name in ("sklearn", "onnx", "python_class"):
        assert get_flavor(name).name == name
    with pytest.raises(
        InvalidInput, match=r"unknown model flavor 'torch'; known: onnx, python_class, sklearn"
    ):
        get_flavor("torch")


def test_an_object_no_flavor_can_save() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"no flavor for object of type builtins.object; known: onnx, python_class, sklearn",
    ):
        flavor_for(object())


def test_choice_by_object(iris_pipeline: Any) -> None:
    assert flavor_for(iris_pipeline).name == "sklearn"  # it has predict, but sklearn comes first
    assert flavor_for(b"onnx bytes").name == "onnx"
    assert flavor_for(WithPredict()).name == "python_class"


def test_third_party_flavors_come_before_the_catch_all(fake_plugin: None) -> None:
    assert known_flavors()["fake"] == "shipyard_fake_flavor:FakeFlavor"
    assert get_flavor("fake").name == "fake"
    assert flavor_for(WithPredict()).name == "fake"


def test_a_plugin_cannot_take_over_a_built_in_name(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("sklearn", "elsewhere:Flavor", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point])
    assert known_flavors()["sklearn"] == registry.FLAVORS["sklearn"]


def test_trusted_names() -> None:
    assert trusted_names(True) is None
    assert trusted_names(False) == set() == trusted_names(())
    assert trusted_names("a.B") == {"a.B"}  # one name, not its letters
    assert trusted_names(["a.B", "c.D"]) == {"a.B", "c.D"}


def test_importing_models_loads_no_heavy_package() -> None:
    import subprocess

    code = (
        "import sys, shipyard, shipyard.assets.models;"
        "print(sorted(m for m in ('pandas', 'sklearn', 'skops', 'onnx', 'onnxruntime') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_a_missing_optional_library_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shipyard.assets.models import save_model

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"needs onnxruntime, .*pip install 'shipyard\[onnx\]'"):
        save_model(b"bytes", tmp_path / "m", sample_input={"x": [1.0]})
