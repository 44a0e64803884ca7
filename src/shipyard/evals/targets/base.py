"""What a target is: something that turns the inputs of eval cases into outputs.

A target answers a *batch* of cases at once (``batch_size`` of them: one
``predict`` call for a classic model, one request to a model server, one case
for an LLM prompt or a Python function) and fills in each case's output,
latency, cost and tokens. When a batch raises, the runner runs its cases one
by one, so only the cases that really fail carry an ``error`` and the
evaluation still completes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.evals.results import CaseResult


class Target:
    """One thing to evaluate, resolved to exact versions when it was parsed.

    Attributes:
        kind: ``model``, ``prompt``, ``function`` or ``http``.
        spec: the target as the user wrote it (``model:sentiment@production``).
        ref: what was really evaluated (``model:sentiment@3``, ``prompt:sentiment@2``,
            ``app.main:answer``, ``http://host/predict``): the evaluation's target.
        assets: the asset versions it uses, recorded as consumed by the
            evaluation run (lineage).
        batch_size: how many cases one ``run`` call answers at most.
        model: the LLM a prompt target runs on (``local/gemma-3-270m``); else ``None``.
    """

    kind: ClassVar[str] = ""
    options: ClassVar[frozenset[str]] = frozenset()
    """The keys of ``parse_target(..., options=...)`` this kind of target accepts."""

    def __init__(self, spec: str, ref: str, assets: Sequence[str] = (), batch_size: int = 1):
        self.spec = spec
        self.ref = ref
        self.assets = tuple(assets)
        self.batch_size = batch_size
        self.model: str | None = None

    def prepare(self, cases: Sequence[CaseResult], labels: Sequence[str]) -> None:
        """Check the target against the cases (and load what it needs) before any case runs.

        Raises ``InvalidInput`` when the cases cannot work (a prompt variable or
        a model column missing from the dataset). ``labels`` are the class
        labels of a classification eval (``[]`` otherwise).
        """

    def run(self, cases: Sequence[CaseResult]) -> list[CaseResult]:
        """The cases with ``output`` (and latency, cost, tokens, proba) filled in, in order.

        Raise to fail the whole batch; the runner then retries its cases one by one.
        """
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What to store about the target with the evaluation (JSON)."""
        return {"kind": self.kind, "spec": self.spec, "ref": self.ref, "assets": list(self.assets)}

    def close(self) -> None:
        """Release clients and models; called once after the last case."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ref}>"


def error_text(exc: BaseException) -> str:
    """One line for a case's ``error``: ``ValueError: bad input`` (a shipyard error: its message)."""
    text = exc.message if isinstance(exc, ShipyardError) else str(exc)
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    name = type(exc).__name__
    full = f"{name}: {line}" if line else name
    return full if len(full) <= 500 else full[:499] + "…"


def checked_options(
    target: str, given: Mapping[str, Any] | None, allowed: frozenset[str]
) -> dict[str, Any]:
    """``given`` when every key is one ``allowed`` for this target, else ``InvalidInput``."""
    options = dict(given or {})
    unknown = sorted(set(options) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise InvalidInput(
            f"target {target} does not take option(s) {', '.join(unknown)}; its options: {known}"
        )
    return options


def read_answer(value: Any) -> tuple[Any, dict[str, float] | None, float, dict[str, Any]]:
    """Split what an app or URL answered into output, proba, cost and metadata.

    A dict with an ``output`` key is an answer with extras: ``proba`` (label →
    probability), ``cost_usd``, and any other keys, kept as metadata. Anything
    else is the output itself.
    """
    if not isinstance(value, Mapping) or "output" not in value:
        return json_value(value), None, 0.0, {}
    proba = value.get("proba")
    cost = value.get("cost_usd") or 0.0
    if proba is not None and not isinstance(proba, Mapping):
        raise InvalidInput(f"proba must be an object of label → probability; got {proba!r}")
    if isinstance(cost, bool) or not isinstance(cost, int | float):
        raise InvalidInput(f"cost_usd must be a number; got {cost!r}")
    extra = {str(k): json_value(v) for k, v in value.items() if k not in _ANSWER_KEYS}
    return (
        json_value(value["output"]),
        None if proba is None else {str(k): float(v) for k, v in proba.items()},
        float(cost),
        extra,
    )


_ANSWER_KEYS = frozenset({"output", "proba", "cost_usd"})


def json_value(value: Any) -> Any:
    """``value`` as plain JSON types (numpy scalars and arrays to Python, tuples to lists)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return json_value(value.tolist())
    if hasattr(value, "item"):
        return json_value(value.item())
    return str(value)
