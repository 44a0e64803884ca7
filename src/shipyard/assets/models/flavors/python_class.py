"""A plain Python object whose class has ``predict(self, df)``: its source plus JSON state.

Saving captures the class's source with ``inspect.getsource``, the module-level
imports that source uses, and the instance's ``__dict__`` as JSON. Loading
executes that source in a fresh module and builds the instance from the state
without calling ``__init__``.

Executing stored source is running code. Loading therefore requires
``trusted=True``; a list of type names is not enough, because the code can do
anything regardless of its class name. Only load python_class models that
someone you trust registered.

Limits, each with a clear error: the class must come from a file (not typed
into an interactive interpreter), must not need module-level helpers other
than imports, and its state must survive a JSON round trip unchanged.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import sys
import textwrap
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from shipyard.assets.models.flavors.protocol import Trust
from shipyard.core.errors import Forbidden, InvalidInput, NotFound

SOURCE = "model.py"
STATE = "state.json"


class PythonClassFlavor:
    """Any object whose class defines ``predict``; tried after every other flavor."""

    name = "python_class"
    packages: tuple[str, ...] = ("numpy", "pandas")

    def can_save(self, obj: object) -> bool:
        if isinstance(obj, type | types.ModuleType | types.FunctionType):
            return False
        return callable(getattr(type(obj), "predict", None))

    def save(self, obj: object, folder: Path) -> dict[str, Any]:
        cls = type(obj)
        source = class_source(cls)
        state = json_state(obj)
        imports = used_imports(cls, source)
        header = "# Captured by shipyard from the class " + f"{cls.__module__}.{cls.__qualname__}\n"
        text = "\n".join([header, "from __future__ import annotations", *imports, "", source])
        (folder / SOURCE).write_text(text, encoding="utf-8")
        (folder / STATE).write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
        return {"source": SOURCE, "state": STATE, "class": cls.__name__, "module": cls.__module__}

    def load(
        self, folder: Path, metadata: Mapping[str, Any], trusted: Trust = ()
    ) -> PythonClassModel:
        name = str(metadata.get("class", "?"))
        origin = f"{metadata.get('module', '?')}.{name}"
        if trusted is not True:
            raise Forbidden(
                f"loading this python_class model executes its stored source code (class {origin}). "
                "Pass trusted=True only if you trust whoever registered it; a list of type names "
                "is not enough, since the code can do anything."
            )
        source_path = folder / str(metadata.get("source", SOURCE))
        state_path = folder / str(metadata.get("state", STATE))
        for path in (source_path, state_path):
            if not path.is_file():
                raise NotFound(f"the model folder has no {path.name}")
        source = source_path.read_text(encoding="utf-8")
        digest = hashlib.sha256(source.encode()).hexdigest()[:16]
        module = types.ModuleType(f"shipyard_python_class_{digest}")
        module.__file__ = str(source_path)
        sys.modules[module.__name__] = module  # dataclasses and typing look modules up there
        try:
            exec(compile(source, str(source_path), "exec"), module.__dict__)
        except Exception as exc:
            raise InvalidInput(
                f"the stored source of class {origin} does not run on its own "
                f"({type(exc).__name__}: {exc}); a python_class model may use module-level "
                "imports but no other module-level names"
            ) from exc
        cls = module.__dict__.get(name)
        if not isinstance(cls, type):
            raise InvalidInput(f"the stored source does not define a class {name!r}")
        factory: Any = cls
        instance = factory.__new__(factory)  # the state comes from JSON, not from __init__
        instance.__dict__.update(json.loads(state_path.read_text(encoding="utf-8")))
        return PythonClassModel(instance)


class PythonClassModel:
    """The rebuilt instance; ``predict`` gets the validated DataFrame as is."""

    predict_proba: Callable[[Any], Any] | None

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        proba = getattr(instance, "predict_proba", None)
        self.predict_proba = proba if callable(proba) else None

    def predict(self, frame: Any) -> Any:
        return self.instance.predict(frame)


def class_source(cls: type) -> str:
    """The class's source, dedented so that a class defined in a function also loads."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError) as exc:
        raise InvalidInput(
            f"cannot read the source of class {cls.__qualname__} ({exc}). A class typed into an "
            "interactive interpreter has no source file; define it in a .py module, import it "
            "from there, and save again."
        ) from exc
    return textwrap.dedent(source)


def json_state(obj: object) -> dict[str, Any]:
    """The instance's attributes, refused unless each one survives JSON unchanged."""
    kind = type(obj).__qualname__
    state = getattr(obj, "__dict__", None)
    if state is None:
        raise InvalidInput(f"{kind} instances have no __dict__ (__slots__?); nothing to store")
    for key, value in state.items():
        try:
            same = json.loads(json.dumps(value, allow_nan=False)) == value
        except (TypeError, ValueError):
            same = False
        if not same:
            raise InvalidInput(
                f"attribute {key!r} of {kind} holds {type(value).__name__} {_short(value)}, which "
                "does not survive JSON unchanged (tuples become lists, keys become strings, NaN "
                "and arrays are not JSON). Keep numbers, strings, lists and dicts with string keys "
                "(array.tolist()), or save a scikit-learn or ONNX model instead."
            )
    return dict(state)


def used_imports(cls: type, source: str) -> list[str]:
    """The module-level import statements of ``cls``'s module that its source refers to."""
    module = sys.modules.get(cls.__module__)
    try:
        tree = ast.parse(inspect.getsource(module)) if module is not None else None
    except (OSError, TypeError, SyntaxError):
        tree = None
    if tree is None:
        return []
    used = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    lines: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
            if names:
                lines.append(ast.unparse(ast.Import(names=names)))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            names = [a for a in node.names if (a.asname or a.name) in used]
            if names:
                lines.append(ast.unparse(ast.ImportFrom(module=node.module, names=names, level=0)))
    return lines


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
