"""``@sy.pipeline``: a function whose body wires steps together; calling it runs the pipeline.

The body runs once, in this process, to record which step feeds which (see
``trace``); then the steps execute on an executor. Pipeline parameters are
JSON values (text, numbers, lists, dicts): they are recorded with the run,
shown, and replayed by ``resume``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, overload

from shipyard.core.errors import InvalidInput

if TYPE_CHECKING:
    from shipyard.pipelines.result import PipelineResult


class Pipeline:
    """A function decorated with ``@sy.pipeline``.

    Calling it (``train_credit(dataset="dataset:credit@2")``) runs the pipeline
    with the local executor and returns a ``PipelineResult``; use
    ``sy.pipelines.run(train_credit, params=..., executor="ray")`` to choose
    the executor, caching and parallelism.
    """

    def __init__(
        self, fn: Callable[..., Any], name: str | None = None, experiment: str | None = None
    ) -> None:
        if not inspect.isfunction(fn):
            raise InvalidInput(f"@pipeline decorates plain functions, not {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name: str = name or fn.__name__
        self.experiment: str = experiment or self.name
        self.ref = f"{fn.__module__}:{fn.__qualname__}"
        self.signature = inspect.signature(fn)

    def bind(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The pipeline's parameters with defaults filled in; every one must be a JSON value."""
        params = dict(params or {})
        try:
            bound = self.signature.bind(**params)
        except TypeError as exc:
            names = ", ".join(self.signature.parameters) or "none"
            raise InvalidInput(f"pipeline {self.name}: {exc} (its parameters: {names})") from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        for key, value in values.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                raise InvalidInput(
                    f"pipeline parameter {key!r} is a {type(value).__name__}; parameters must be "
                    "JSON values (text, numbers, lists, dicts) so that they can be recorded and "
                    "replayed. Load data inside the pipeline instead, e.g. sy.datasets.load(ref)."
                ) from None
        return values

    def __call__(self, *args: Any, **kwargs: Any) -> PipelineResult:
        from shipyard.pipelines.runner import run

        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidInput(f"pipeline {self.name}: {exc}") from None
        return run(self, params=dict(bound.arguments))

    def __repr__(self) -> str:
        return f"<pipeline {self.ref}>"


@overload
def pipeline(fn: Callable[..., Any], /) -> Pipeline: ...
@overload
def pipeline(
    *, name: str | None = None, experiment: str | None = None
) -> Callable[[Callable[..., Any]], Pipeline]: ...
def pipeline(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    experiment: str | None = None,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Make ``fn`` a pipeline: ``@sy.pipeline`` or ``@sy.pipeline(name=..., experiment=...)``.

    Runs go to the experiment named ``experiment`` (default: the pipeline's name).
    """
    if fn is not None:
        return Pipeline(fn)

    def decorate(f: Callable[..., Any]) -> Pipeline:
        return Pipeline(f, name=name, experiment=experiment)

    return decorate
