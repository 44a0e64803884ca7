"""``model:NAME@VERSION|@ALIAS``: a registered model, predicting whole batches at once.

One ``predict`` call answers a batch of cases (up to ``batch_size``, 1,024 by
default), so a classic model evaluates tens of thousands of cases a second.
Each case's ``latency_ms`` is the batch's time divided by its size: the cost
of one prediction when predicting in bulk, not the latency of a single
request (evaluate the model behind a model server, ``http://…/predict``, to
measure that). A classifier with ``predict_proba`` gives each case's
``proba``, keyed by class label.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from shipyard.assets.models.loaded import LoadedModel
from shipyard.assets.registry import resolve
from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.targets.base import Target, checked_options, json_value
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace

DEFAULT_BATCH = 1024


class ModelTarget(Target):
    """A registered model version, loaded once (through the machine's model cache)."""

    kind = "model"
    options = frozenset({"batch_size", "trusted"})

    def __init__(
        self,
        spec: str,
        version: AssetVersion,
        ws: Workspace,
        *,
        batch_size: int = DEFAULT_BATCH,
        trusted: Any = (),
    ) -> None:
        super().__init__(spec, version.ref, (version.ref,), batch_size)
        self.version = version
        self.ws = ws
        self.trusted = trusted
        self.loaded: LoadedModel | None = None
        self.classes: list[str] | None = None

    @classmethod
    def from_spec(
        cls,
        spec: str,
        *,
        model: str | None,
        options: Mapping[str, Any] | None,
        workspace: Workspace,
    ) -> ModelTarget:
        if model is not None:
            raise InvalidInput(
                f"{spec} is a registered model; model={model!r} is only for prompt targets"
            )
        opts = checked_options(spec, options, cls.options)
        size = opts.get("batch_size", DEFAULT_BATCH)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidInput(f"batch_size must be a whole number >= 1; got {size!r}")
        version = resolve(spec, "model", workspace=workspace)
        return cls(spec, version, workspace, batch_size=size, trusted=opts.get("trusted", ()))

    def prepare(self, cases: Sequence[CaseResult], labels: Sequence[str]) -> None:
        from shipyard.serving.model_cache import load_version

        self.loaded = load_version(self.version, self.ws, trust=self.trusted)
        names = self.loaded.signature.names
        given = set(cases[0].inputs) if cases else set()
        missing = [n for n in names if n not in given]
        if missing:
            raise InvalidInput(
                f"{self.ref} needs input column(s) {', '.join(map(repr, missing))} that the "
                f"dataset does not have (its inputs: {', '.join(sorted(given)) or 'none'})"
            )
        self.classes = _classes(self.loaded)

    def run(self, cases: Sequence[CaseResult]) -> list[CaseResult]:
        from shipyard.serving.predictions import to_values

        model = self.loaded
        if model is None:
            raise RuntimeError("ModelTarget.run before prepare")
        columns = {n: [c.inputs.get(n) for c in cases] for n in model.signature.names}
        started = time.perf_counter()
        frame = model.signature.validate(columns)
        outputs = to_values(model.predictor.predict(frame))
        proba_rows: list[Any] = [None] * len(cases)
        if self.classes is not None and model.predictor.predict_proba is not None:
            proba_rows = to_values(model.predictor.predict_proba(frame))
        each_ms = (time.perf_counter() - started) * 1000 / len(cases)
        if len(outputs) != len(cases):
            raise RuntimeError(f"{self.ref} gave {len(outputs)} predictions for {len(cases)} rows")
        return [
            replace(
                case,
                output=json_value(output),
                latency_ms=each_ms,
                proba=_proba(self.classes, row),
            )
            for case, output, row in zip(cases, outputs, proba_rows, strict=True)
        ]

    def describe(self) -> dict[str, Any]:
        flavor = None if self.loaded is None else self.loaded.flavor
        return {**super().describe(), "flavor": flavor, "classes": self.classes}


def _classes(model: LoadedModel) -> list[str] | None:
    """Class labels in ``predict_proba`` column order, as strings; ``None`` without them."""
    if model.predictor.predict_proba is None:
        return None
    estimator = getattr(model.predictor, "estimator", None)
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return None
    return [str(c) for c in json_value(classes)]


def _proba(classes: list[str] | None, row: Any) -> dict[str, float] | None:
    if classes is None or not isinstance(row, list) or len(row) != len(classes):
        return None
    return {label: float(p) for label, p in zip(classes, row, strict=True) if p is not None}
