"""``module:function``: any Python callable, such as a whole app, called once per case.

The case's inputs are its keyword arguments (``answer(question=..., context=...)``).
It returns the output itself, or a dict with ``output`` and optionally
``proba`` (label → probability), ``cost_usd`` and other keys, which are kept
in the case's metadata. An ``async def`` function is awaited. ``module`` may be
a dotted module path and ``function`` a dotted attribute path
(``app.service:Answerer.answer`` for a static method).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.targets.base import Target, checked_options, read_answer
from shipyard.workspace import Workspace

FUNCTION_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
"""``module.path:attr.path``; ``path/to/file.py:attr`` is accepted too."""


class FunctionTarget(Target):
    """A Python callable; its ``ref`` is its ``module:qualname``."""

    kind = "function"

    def __init__(self, spec: str, function: Callable[..., Any]) -> None:
        super().__init__(spec, spec, (), 1)
        self.function = function
        self.is_async = inspect.iscoroutinefunction(function)

    @classmethod
    def from_spec(
        cls,
        spec: str,
        *,
        model: str | None,
        options: Mapping[str, Any] | None,
        workspace: Workspace,
    ) -> FunctionTarget:
        if model is not None:
            raise InvalidInput(f"{spec} is a Python function; model={model!r} is only for prompts")
        checked_options(spec, options, cls.options)
        return cls(spec, load_function(spec))

    def prepare(self, cases: Sequence[CaseResult], labels: Sequence[str]) -> None:
        if not cases:
            return
        try:
            signature = inspect.signature(self.function)
        except (TypeError, ValueError):  # some builtins have none; let the calls tell
            return
        try:
            signature.bind(**cases[0].inputs)
        except TypeError as exc:
            names = ", ".join(sorted(cases[0].inputs)) or "none"
            raise InvalidInput(
                f"{self.spec} cannot be called with the dataset's inputs as keyword arguments "
                f"({names}): {exc}"
            ) from None

    def run(self, cases: Sequence[CaseResult]) -> list[CaseResult]:
        (case,) = cases
        started = time.perf_counter()
        value = self.function(**case.inputs)
        if self.is_async:
            value = asyncio.run(value)
        latency_ms = (time.perf_counter() - started) * 1000
        output, proba, cost, extra = read_answer(value)
        return [
            replace(
                case,
                output=output,
                proba=proba,
                cost_usd=cost,
                latency_ms=latency_ms,
                metadata={**case.metadata, **extra} if extra else case.metadata,
            )
        ]


def load_function(spec: str) -> Callable[..., Any]:
    """Import ``module:attr.path`` (or ``path/file.py:attr``) with the current folder on ``sys.path``."""
    where, _, path = spec.rpartition(":")
    if where.endswith(".py"):
        from shipyard.pipelines.loader import import_file

        found: Any = import_file(Path(where))
    elif FUNCTION_SPEC.match(spec):
        found = _import(where, spec)
    else:
        raise InvalidInput(
            f"{spec!r} is not module:function (e.g. my_app.main:answer or app.py:answer)"
        )
    for part in path.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise InvalidInput(f"{where} has no {path!r} (target {spec})") from None
    if not callable(found):
        raise InvalidInput(f"{spec} is a {type(found).__name__}, not a function")
    function: Callable[..., Any] = found
    return function


def _import(name: str, spec: str) -> Any:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)  # as ``python -m`` would: ./my_app.py is found
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise InvalidInput(
                f"no module named {name!r} for target {spec} (looked in {cwd} and on "
                "sys.path); run from the folder that holds it, or pass path/to/file.py:function"
            ) from None
        raise InvalidInput(f"importing {name} failed: {exc}") from exc
    except Exception as exc:
        raise InvalidInput(f"importing {name} failed: {type(exc).__name__}: {exc}") from exc
