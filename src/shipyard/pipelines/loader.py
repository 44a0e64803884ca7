"""Find a pipeline from text: ``module:name``, ``package.module:Class.name`` or ``path/file.py:name``.

Modules are imported with the current directory on ``sys.path``, as ``python -m``
would, so ``shipyard pipelines run credit:train`` finds ``./credit.py``. A
resumed run is re-imported from its recorded ``module:qualname``, falling back
to the file it came from (a script run as ``__main__`` has no other name).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.pipelines.pipeline_decorator import Pipeline
from shipyard.pipelines.step_decorator import Step


def load_pipeline(target: str, file: str | None = None) -> Pipeline:
    """The ``@sy.pipeline`` that ``target`` names; ``file`` is where to look if import fails."""
    where, sep, qualname = target.rpartition(":")
    if not sep or not where or not qualname:
        raise InvalidInput(f"expected module:pipeline or path/to/file.py:pipeline, got {target!r}")
    if where.endswith(".py") or "/" in where or os.sep in where:
        module = import_file(Path(where))
    elif where == "__main__" and file:
        module = import_file(Path(file))
    else:
        try:
            module = import_module(where)
        except NotFound:
            if not file:
                raise
            module = import_file(Path(file))
    obj = _attribute(module, qualname, target)
    if isinstance(obj, Pipeline):
        return obj
    if isinstance(obj, Step):
        raise InvalidInput(f"{target} is a @sy.step; pass the @sy.pipeline that calls it")
    raise InvalidInput(f"{target} is a {type(obj).__name__}, not a @sy.pipeline function")


def import_module(name: str) -> types.ModuleType:
    """Import ``name`` with the current directory on ``sys.path``."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise NotFound(
                f"no module named {name!r} (looked in {cwd} and on sys.path); run from the "
                "folder that holds it, or pass path/to/file.py:pipeline"
            ) from None
        raise _import_failed(name, exc) from exc
    except Exception as exc:
        raise _import_failed(name, exc) from exc


def import_file(path: Path) -> types.ModuleType:
    """Import a Python file as a module named after it (unique if that name is taken)."""
    path = path.expanduser().resolve()
    if not path.is_file():
        raise NotFound(f"no file {str(path)!r} to import a pipeline from")
    name = path.stem if path.stem.isidentifier() else "pipeline_file"
    existing = sys.modules.get(name)
    if existing is not None:
        if getattr(existing, "__file__", None) and Path(existing.__file__).resolve() == path:  # type: ignore[arg-type]
            return existing
        name = f"{name}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        if name in sys.modules:
            return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidInput(f"{path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so that its own imports of sibling modules work
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise _import_failed(str(path), exc) from exc
    return module


def _attribute(module: types.ModuleType, qualname: str, target: str) -> Any:
    obj: Any = module
    for part in qualname.split("."):
        if part == "<locals>":
            raise InvalidInput(
                f"{target} is defined inside a function; define pipelines at module level so "
                "that they can be found again"
            )
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise NotFound(f"{module.__name__} has no attribute {qualname!r} ({target})") from None
    return obj


def _import_failed(name: str, exc: BaseException) -> InvalidInput:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return InvalidInput(f"importing {name} failed: {type(exc).__name__}: {first}")
