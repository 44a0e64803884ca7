"""One loaded model version behind its own micro-batcher.

A batch is one DataFrame built from the jobs' columns and one call of
``predict_values`` (the conversion batch inference uses too), split back per
job. If the batch as a whole is refused, each job is retried alone, so a bad
request fails by itself and its batch-mates still get their answers.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.assets.models.loaded import LoadedModel
from shipyard.core.errors import Failure, ShipyardError
from shipyard.serving.batcher import Job, MicroBatcher
from shipyard.serving.model_input import InputReader, ModelInput
from shipyard.serving.predictions import predict_values, to_values


@dataclass(frozen=True, slots=True)
class Answer:
    """What one job gets back: one prediction per row, and probabilities when asked."""

    predictions: list[Any]
    probabilities: list[Any] | None = None


class ServedModel:
    """A model version being served.

    Attributes:
        name: the model's name; ``version`` its number (``None`` for a local folder).
        version_id: the registry's row id (``None`` for a folder), to notice alias moves.
        digest: the version's content digest.
        model: the loaded model; ``reader`` turns request bodies into its inputs.
        classes: class labels of a classifier, in ``predict_proba`` column order.
    """

    def __init__(
        self,
        name: str,
        version: int | None,
        version_id: int | None,
        digest: str,
        model: LoadedModel,
        *,
        max_batch_size: int,
        max_wait_ms: float,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.version_id = version_id
        self.digest = digest
        self.model = model
        self.reader = InputReader(model.signature)
        self.classes = _classes(model)
        self.batcher = MicroBatcher(
            self.predict_jobs,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            on_batch=on_batch,
        )

    def warm_up(self) -> None:
        """Run one made-up row through the model, so the first real request is not the slow one.

        Libraries import and cache lazily on the first call; a model that refuses
        the made-up row (an unknown category, say) has still warmed most of it.
        """
        row = {c.name: [_PLACEHOLDER[c.type]] for c in self.model.signature.inputs}
        with contextlib.suppress(Exception):
            self._together([Job(ModelInput(row, 1), proba=self.model.has_proba)])

    @property
    def version_label(self) -> str:
        return "" if self.version is None else str(self.version)

    def predict_jobs(self, jobs: Sequence[Job]) -> list[Answer | BaseException]:
        """Answers for ``jobs`` (runs in a worker thread): together, or one by one on refusal."""
        if len(jobs) > 1:
            try:
                return list(self._together(jobs))
            except Exception:  # find out whose input it was: each job alone
                pass
        return [self._alone(job) for job in jobs]

    def _alone(self, job: Job) -> Answer | BaseException:
        try:
            return self._together([job])[0]
        except ShipyardError as exc:
            return exc
        except Exception as exc:
            return Failure(f"the {self.model.flavor} model failed: {type(exc).__name__}: {exc}")

    def _together(self, jobs: Sequence[Job]) -> list[Answer]:
        import pandas as pd  # type: ignore[import-untyped]

        if len(jobs) == 1:
            columns = jobs[0].input.columns
        else:
            columns = {
                name: list(itertools.chain.from_iterable(j.input.columns[name] for j in jobs))
                for name in self.reader.names
            }
        frame = pd.DataFrame(columns)
        predictions = predict_values(self.model, frame)
        probabilities = None
        if any(j.proba for j in jobs):
            probabilities = to_values(self.model.predict_proba(frame))
        total = sum(j.input.rows for j in jobs)
        if len(predictions) != total or (probabilities is not None and len(probabilities) != total):
            raise Failure(
                f"the model returned {len(predictions)} predictions for {total} rows; "
                "a served model must answer one value per row"
            )
        answers, start = [], 0
        for job in jobs:
            end = start + job.input.rows
            answers.append(
                Answer(
                    predictions[start:end],
                    probabilities[start:end] if job.proba and probabilities is not None else None,
                )
            )
            start = end
        return answers


_PLACEHOLDER: dict[str, Any] = {
    "float": 0.0,
    "integer": 0,
    "string": "",
    "boolean": False,
    "datetime": "2000-01-01T00:00:00",
}


def _classes(model: LoadedModel) -> list[Any] | None:
    estimator = getattr(model.predictor, "estimator", None)
    classes = getattr(estimator, "classes_", None)
    if classes is None or not model.has_proba:
        return None
    return to_values(classes)
