"""``@sy.step``: a plain function that a pipeline runs as a cached, retried, isolated unit.

Outside a pipeline a step is just its function: calling it runs it here and
now, which keeps steps easy to unit-test. Inside the body of a ``@pipeline``
a call records the step in the pipeline's graph instead and returns
placeholders for its outputs (see ``trace``).
"""

from __future__ import annotations

import ast
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, overload

from shipyard.core.errors import InvalidInput

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class StepOptions:
    """How a step runs.

    Attributes:
        retries: extra attempts after a failure (0: fail at once).
        retry_delay: seconds before the first retry.
        backoff: factor applied to the delay after each retry.
        cache: whether an unchanged step may reuse a stored output.
        version: bump it when something the cache key cannot see changed
            (a helper function the step calls, a file it reads).
        outputs: how many values the step returns as a tuple; by default read
            from a fixed-length ``tuple[...]`` return annotation, else 1.
    """

    retries: int = 0
    retry_delay: float = 1.0
    backoff: float = 2.0
    cache: bool = True
    version: str | None = None
    outputs: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise InvalidInput(f"retries must be a whole number >= 0, got {self.retries!r}")
        if not isinstance(self.retry_delay, int | float) or self.retry_delay < 0:
            raise InvalidInput(f"retry_delay must be >= 0 seconds, got {self.retry_delay!r}")
        if not isinstance(self.backoff, int | float) or self.backoff < 1:
            raise InvalidInput(f"backoff must be a number >= 1, got {self.backoff!r}")
        if self.outputs is not None and (
            isinstance(self.outputs, bool) or not isinstance(self.outputs, int) or self.outputs < 1
        ):
            raise InvalidInput(f"outputs must be a whole number >= 1, got {self.outputs!r}")
        if self.version is not None and not isinstance(self.version, str):
            raise InvalidInput(f"version must be text, got {self.version!r}")

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (2 is the first retry)."""
        return float(self.retry_delay * self.backoff ** max(0, attempt - 2))


class Step(Generic[P, R]):
    """A function decorated with ``@sy.step``; call it like the function."""

    def __init__(self, fn: Callable[P, R], options: StepOptions) -> None:
        if not inspect.isfunction(fn):
            raise InvalidInput(
                f"@step decorates plain functions, not {type(fn).__name__} objects "
                "(no classes, methods of instances or lambdas assigned later)"
            )
        if inspect.iscoroutinefunction(fn) or inspect.isgeneratorfunction(fn):
            raise InvalidInput(
                f"@step function {fn.__qualname__} must return its outputs, not yield"
            )
        functools.update_wrapper(self, fn)
        self.fn: Callable[P, R] = fn
        self.options = options
        self.name: str = fn.__name__
        self.ref = f"{fn.__module__}:{fn.__qualname__}"
        self.signature = inspect.signature(fn)
        self.outputs: int = options.outputs or outputs_from_annotation(fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        from shipyard.pipelines.trace import current_trace

        trace = current_trace()
        if trace is None:
            return self.fn(*args, **kwargs)
        return typing.cast(R, trace.add_call(self, args, kwargs))

    def __repr__(self) -> str:
        return f"<step {self.ref}>"


@overload
def step(fn: Callable[P, R], /) -> Step[P, R]: ...
@overload
def step(
    *,
    retries: int = 0,
    retry_delay: float = 1.0,
    backoff: float = 2.0,
    cache: bool = True,
    version: str | None = None,
    outputs: int | None = None,
) -> Callable[[Callable[P, R]], Step[P, R]]: ...
def step(
    fn: Callable[P, R] | None = None,
    /,
    *,
    retries: int = 0,
    retry_delay: float = 1.0,
    backoff: float = 2.0,
    cache: bool = True,
    version: str | None = None,
    outputs: int | None = None,
) -> Step[P, R] | Callable[[Callable[P, R]], Step[P, R]]:
    """Make ``fn`` a pipeline step: ``@sy.step`` or ``@sy.step(retries=2, version="2")``.

    A step's inputs and outputs are stored between steps: pandas or polars
    DataFrames and pyarrow Tables as Parquet, numpy arrays as ``.npy``, models
    through their shipyard flavor, JSON values as JSON. Anything else is
    refused rather than pickled.
    """
    options = StepOptions(retries, retry_delay, backoff, cache, version, outputs)
    if fn is not None:
        return Step(fn, options)

    def decorate(f: Callable[P, R]) -> Step[P, R]:
        return Step(f, options)

    return decorate


def outputs_from_annotation(fn: Callable[..., Any]) -> int:
    """How many outputs a fixed-length ``tuple[A, B]`` return annotation declares (else 1).

    String annotations (``from __future__ import annotations``) are parsed, not
    evaluated, so names imported only for type checking do not matter.
    """
    annotation = getattr(fn, "__annotations__", {}).get("return")
    if annotation is None:
        return 1
    if isinstance(annotation, str):
        return _count_in_text(annotation)
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if args and Ellipsis not in args and args != ((),):
            return len(args)
    return 1


def _count_in_text(annotation: str) -> int:
    try:
        node = ast.parse(annotation, mode="eval").body
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # quoted twice
            node = ast.parse(node.value, mode="eval").body
    except SyntaxError:
        return 1
    if not isinstance(node, ast.Subscript):
        return 1
    base = node.value
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
    if name not in ("tuple", "Tuple"):
        return 1
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if any(isinstance(i, ast.Constant) and i.value is Ellipsis for i in items):
        return 1
    return len(items) if len(items) > 1 else 1
