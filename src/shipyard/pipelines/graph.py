"""The graph a pipeline body records: one node per step call, edges from outputs to inputs.

An argument of a step call is stored as a small JSON spec, so the graph can be
written to ``pipeline.json`` and sent to workers as it is:

- ``{"const": v}``: a JSON value, shown as a param of the step run;
- ``{"step": id, "output": i}``: output ``i`` of an upstream step;
- ``{"value": ref}``: a value made in the driver (a loaded DataFrame, say),
  stored like a step output (``ref`` is a ``ValueRef`` dict);
- ``{"items": [spec, ...], "tuple": bool}`` and ``{"entries": {k: spec}}``:
  lists, tuples and dicts holding any of the above.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shipyard.pipelines.step_decorator import Step
from shipyard.store.records import ParamValue

Spec = dict[str, Any]


@dataclass
class StepNode:
    """One call of a step in a pipeline body."""

    id: str
    step: Step[..., Any]
    arguments: dict[str, Spec]
    upstream: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def max_attempts(self) -> int:
        return self.step.options.retries + 1

    def params(self) -> dict[str, ParamValue]:
        """The step's JSON arguments as run params: scalars as they are, the rest as JSON text."""
        out: dict[str, ParamValue] = {}
        for name, spec in self.arguments.items():
            if not is_constant(spec):
                continue
            value = constant_value(spec)
            if value is None or isinstance(value, str | int | float | bool):
                out[name] = value
            else:
                text = json.dumps(value, sort_keys=True)
                out[name] = text if len(text) <= 2000 else text[:1999] + "…"
        return out

    def to_dict(self, cache_key: str | None = None) -> dict[str, Any]:
        options = self.step.options
        return {
            "id": self.id,
            "name": self.name,
            "function": self.step.ref,
            "upstream": list(self.upstream),
            "arguments": self.arguments,
            "params": self.params(),
            "outputs": self.step.outputs,
            "retries": options.retries,
            "cache": options.cache,
            "version": options.version,
            "cache_key": cache_key,
        }


@dataclass
class Graph:
    """The steps of one pipeline execution in call order (which is a topological order)."""

    nodes: list[StepNode]

    def __post_init__(self) -> None:
        self._by_id = {n.id: n for n in self.nodes}

    def __iter__(self) -> Iterator[StepNode]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, step_id: str) -> StepNode:
        return self._by_id[step_id]

    def to_dict(
        self, pipeline: str, params: dict[str, Any], cache_keys: dict[str, str] | None = None
    ) -> dict[str, Any]:
        keys = cache_keys or {}
        return {
            "format": 1,
            "pipeline": pipeline,
            "params": params,
            "steps": [n.to_dict(keys.get(n.id)) for n in self.nodes],
        }


def is_constant(spec: Spec) -> bool:
    """Whether ``spec`` holds only JSON values (no step output, no stored value)."""
    if "const" in spec:
        return True
    if "items" in spec:
        return all(is_constant(s) for s in spec["items"])
    if "entries" in spec:
        return all(is_constant(s) for s in spec["entries"].values())
    return False


def constant_value(spec: Spec) -> Any:
    if "const" in spec:
        return spec["const"]
    if "items" in spec:
        return [constant_value(s) for s in spec["items"]]
    return {k: constant_value(s) for k, s in spec["entries"].items()}


def map_specs(spec: Spec, leaf: Callable[[Spec], Any]) -> Any:
    """Rebuild the value ``spec`` describes, turning each leaf spec into ``leaf(spec)``."""
    if "items" in spec:
        items = [map_specs(s, leaf) for s in spec["items"]]
        return tuple(items) if spec.get("tuple") else items
    if "entries" in spec:
        return {k: map_specs(s, leaf) for k, s in spec["entries"].items()}
    return leaf(spec)


def leaves(spec: Spec) -> Iterator[Spec]:
    """Every leaf spec (``const``, ``step`` or ``value``) inside ``spec``."""
    if "items" in spec:
        for s in spec["items"]:
            yield from leaves(s)
    elif "entries" in spec:
        for s in spec["entries"].values():
            yield from leaves(s)
    else:
        yield spec
