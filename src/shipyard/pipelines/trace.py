"""Tracing a pipeline body: step calls become graph nodes, their results placeholders.

The body of a ``@pipeline`` runs once in the driver. Code that is not a step
runs for real (``sy.datasets.load(ref)`` returns a DataFrame and records that
the pipeline run consumed the dataset); a step call records a ``StepNode`` and
returns a ``StepOutput`` (or a tuple of them) standing for a value that exists
only once the step has run. A placeholder can only be passed to another step:
anything else (``if out:``, ``out["col"]``, ``len(out)``) is an error that says so.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from shipyard.core.errors import InvalidInput
from shipyard.pipelines.codecs import is_json
from shipyard.pipelines.graph import Graph, Spec, StepNode
from shipyard.pipelines.step_decorator import Step
from shipyard.pipelines.values import ValueRef

KeepValue = Callable[[Any, str], ValueRef]

_current: contextvars.ContextVar[Trace | None] = contextvars.ContextVar(
    "shipyard_pipeline_trace", default=None
)


def current_trace() -> Trace | None:
    """The trace of the pipeline body running in this thread, if any."""
    return _current.get()


@contextmanager
def tracing(trace: Trace) -> Iterator[Trace]:
    token = _current.set(trace)
    try:
        yield trace
    finally:
        _current.reset(token)


class Trace:
    """The step calls of one pipeline body, in call order.

    ``keep_value(value, where)`` stores a driver-side value (a DataFrame the
    body loaded) passed to a step and returns its ref; the same object passed
    twice is stored once.
    """

    def __init__(self, keep_value: KeepValue) -> None:
        self._keep_value = keep_value
        self._kept: dict[int, tuple[Any, ValueRef]] = {}
        self.nodes: list[StepNode] = []
        self._counts: dict[str, int] = {}

    def add_call(
        self, step: Step[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> StepOutput | tuple[StepOutput, ...]:
        try:
            bound = step.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidInput(f"step {step.name}: {exc}") from None
        bound.apply_defaults()
        step_id = self._new_id(step.name)
        upstream: list[str] = []
        arguments = {
            name: self._spec(value, step_id, name, upstream)
            for name, value in bound.arguments.items()
        }
        self.nodes.append(StepNode(step_id, step, arguments, upstream))
        outputs = tuple(StepOutput(self, step_id, i, step.outputs) for i in range(step.outputs))
        return outputs[0] if step.outputs == 1 else outputs

    def graph(self, pipeline_name: str) -> Graph:
        if not self.nodes:
            raise InvalidInput(
                f"pipeline {pipeline_name} called no steps: call @sy.step functions in its body"
            )
        return Graph(list(self.nodes))

    def _new_id(self, name: str) -> str:
        count = self._counts.get(name, 0) + 1
        self._counts[name] = count
        return name if count == 1 else f"{name}_{count}"

    def _spec(self, value: Any, step_id: str, where: str, upstream: list[str]) -> Spec:
        if isinstance(value, StepOutput):
            if value._trace is not self:
                raise InvalidInput(
                    f"argument {where!r} of step {step_id} is an output of step "
                    f"{value.step_id} from another pipeline run; outputs cannot be kept "
                    "between runs"
                )
            if value.step_id not in upstream:
                upstream.append(value.step_id)
            return {"step": value.step_id, "output": value.index}
        if is_json(value):
            return {"const": value}
        if isinstance(value, list | tuple):
            return {
                "items": [
                    self._spec(v, step_id, f"{where}[{i}]", upstream) for i, v in enumerate(value)
                ],
                "tuple": isinstance(value, tuple),
            }
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {
                "entries": {
                    k: self._spec(v, step_id, f"{where}[{k!r}]", upstream) for k, v in value.items()
                }
            }
        if isinstance(value, Step):
            raise InvalidInput(
                f"argument {where!r} of step {step_id} is the step {value.name} itself; "
                f"call it and pass its output: {value.name}(...)"
            )
        kept = self._kept.get(id(value))
        if kept is None:
            kept = (value, self._keep_value(value, f"{step_id}/{where}"))
            self._kept[id(value)] = kept
        return {"value": kept[1].to_dict()}


class StepOutput:
    """A placeholder for an output of a step, valid only inside the pipeline body that made it."""

    __slots__ = ("_outputs", "_trace", "index", "step_id")

    def __init__(self, trace: Trace, step_id: str, index: int, outputs: int) -> None:
        self._trace = trace
        self.step_id = step_id
        self.index = index
        self._outputs = outputs

    def __repr__(self) -> str:
        which = f"output {self.index} of " if self._outputs > 1 else "output of "
        return f"<{which}step {self.step_id}>"

    def _misuse(self, what: str) -> InvalidInput:
        return InvalidInput(
            f"{what} {self!r}: inside a @pipeline a step's output is a placeholder whose value "
            "exists only when the pipeline executes; pass it to another step and do the work there"
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # protocol probes (copy, numpy, pandas) see a plain object
            raise AttributeError(name)
        raise self._misuse(f"cannot read attribute {name!r} of")

    def __iter__(self) -> NoReturn:
        if self._outputs == 1:
            raise InvalidInput(
                f"cannot unpack {self!r}: the step has one output. To return several, annotate "
                "it with a fixed-length tuple (-> tuple[pd.DataFrame, pd.DataFrame]) or use "
                "@sy.step(outputs=2)"
            )
        raise self._misuse("cannot iterate over")

    def __bool__(self) -> bool:
        raise self._misuse("cannot test the truth of")

    def __len__(self) -> int:
        raise self._misuse("cannot take the length of")

    def __getitem__(self, key: Any) -> NoReturn:
        raise self._misuse(f"cannot index [{key!r}]")

    def __format__(self, spec: str) -> NoReturn:
        raise self._misuse("cannot format")

    def __float__(self) -> NoReturn:
        raise self._misuse("cannot convert to a number")

    def __int__(self) -> NoReturn:
        raise self._misuse("cannot convert to a number")
