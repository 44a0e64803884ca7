"""``evaluate``: run a target over an eval dataset as one tracked run, score it, store it.

Everything that can be wrong is checked before any case runs: the scorer
specs, the dataset and its ``expected`` column, the target (its version, its
model, the dataset columns it needs). Then one run (experiment ``evals``,
tagged ``shipyard.kind=evaluation``) consumes the dataset and target versions
(lineage), runs the cases on a thread pool, scores them, logs the metrics and
stores the cases and the summary (see ``storage``).

A case whose target call raises gets the one-line ``error`` and the
evaluation goes on; a batch that raises is retried case by case so that only
the failing cases carry the error. Ctrl-C ends the run as ``killed`` with
nothing stored: results are written only once every case is done.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any, Literal

from shipyard.assets.registry import resolve, use
from shipyard.core.errors import InvalidInput
from shipyard.evals import storage as S
from shipyard.evals.cases import EXPECTED, derived_labels, read_cases
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.evals.targets.base import Target, error_text
from shipyard.evals.targets.parse import parse_target
from shipyard.tracking.api import start_run
from shipyard.workspace import Workspace, current_workspace

DEFAULT_EXPERIMENT = "evals"
ShowProgress = bool | Literal["always"]


def evaluate(
    target: str | Target,
    data: str,
    scorers: Sequence[str] | str = (),
    *,
    model: str | None = None,
    expected: str = EXPECTED,
    inputs: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    target_options: Mapping[str, Any] | None = None,
    parallel: int = 8,
    experiment: str = DEFAULT_EXPERIMENT,
    name: str | None = None,
    progress: ShowProgress = True,
    workspace: Workspace | None = None,
) -> EvaluationResult:
    """Run ``target`` on every case of dataset ``data``, score with ``scorers``, store it all.

    Args:
        target: ``model:NAME@V``, ``prompt:NAME@V`` (with ``model``),
            ``module:function``, an ``http(s)://`` URL, or a ``Target``.
        data: the eval dataset version (``dataset:sentiment-eval@1``).
        scorers: scorer specs (``accuracy``, ``regex:pattern=^yes``); latency,
            cost and error counts are always measured.
        model: the model a prompt target runs on (``local/gemma-3-270m``); by
            default the one the prompt version's settings name.
        expected, inputs: the answer column and the input columns to use.
        labels: the class labels a prompt's answer is normalised to; by
            default derived from the expected values when they look like
            classes, ``[]`` to keep raw answers.
        target_options: per-kind target settings (see ``parse_target``).
        parallel: cases (or batches, for batched targets) in flight at once.
        progress: a progress bar on stderr when it is a terminal; ``"always"``
            draws it anyway.

    Returns:
        The stored evaluation, equal to ``load_evaluation(result.run_id)``.
    """
    ws = workspace or current_workspace()
    specs = [scorers] if isinstance(scorers, str) else list(scorers)
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise InvalidInput(f"parallel must be a whole number >= 1; got {parallel!r}")
    from shipyard.evals.scorers import score_cases

    _check_scorers(specs)
    version = resolve(data, "dataset", workspace=ws)
    cases = read_cases(version, expected=expected, inputs=inputs, workspace=ws)
    if not cases:
        raise InvalidInput(f"{version.ref} has no cases to evaluate")
    owned = not isinstance(target, Target)  # a Target given in is the caller's to close
    if isinstance(target, Target):
        chosen = target
    else:
        chosen = parse_target(target, model=model, options=target_options, workspace=ws)
    model = model if model is not None else chosen.model  # a prompt's pinned model
    class_labels = derived_labels(cases) if labels is None else [str(x) for x in labels]
    try:
        chosen.prepare(cases, class_labels)
        tags = {
            S.KIND_TAG: S.EVALUATION_KIND,
            S.TARGET_TAG: chosen.ref,
            S.DATA_TAG: version.ref,
            S.SCORERS_TAG: _json(specs),
        }
        if model is not None:
            tags[S.MODEL_TAG] = model
        params: dict[str, str | int | None] = {
            "target": chosen.ref,
            "target_spec": chosen.spec,
            "data": version.ref,
            "model": model,
            "scorers": ", ".join(specs),
            "cases": len(cases),
            "parallel": parallel,
        }
        with start_run(experiment, name, params, tags, workspace=ws) as run:
            use(version.ref, "dataset", workspace=ws)
            for ref in chosen.assets:
                use(ref, workspace=ws)
            done = run_cases(chosen, cases, parallel=parallel, progress=progress)
            scored, metrics, details = score_cases(done, specs)
            run.log_metrics({k: float(v) for k, v in metrics.items() if _is_number(v)})
            result = EvaluationResult(
                run_id=run.id,
                target=chosen.ref,
                data=version.ref,
                scorers=tuple(specs),
                metrics=dict(metrics),
                cases=tuple(scored),
                details=dict(details),
                model=model,
            )
            return S.store_evaluation(run, result, chosen.describe())
    finally:
        if owned:
            chosen.close()


def run_cases(
    target: Target,
    cases: Sequence[CaseResult],
    *,
    parallel: int = 8,
    progress: ShowProgress = False,
) -> list[CaseResult]:
    """Every case with its output or error, in the order given; ``parallel`` calls at once."""
    batches = iter(_batches(cases, target.batch_size, parallel))
    position = {c.index: i for i, c in enumerate(cases)}
    done: list[CaseResult | None] = [None] * len(cases)
    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="shipyard-eval")
    pending: set[Future[list[CaseResult]]] = set()

    def submit_more() -> None:
        # a small window, not every batch at once: waiting on a set costs its size
        while len(pending) < 2 * parallel:
            batch = next(batches, None)
            if batch is None:
                return
            pending.add(pool.submit(_run_batch, target, batch))

    try:
        with _Bar(progress, len(cases), target.ref) as advance:
            submit_more()
            while pending:
                finished, still = wait(pending, return_when=FIRST_COMPLETED)
                pending.intersection_update(still)
                for future in finished:
                    answered = future.result()
                    for case in answered:
                        done[position[case.index]] = case
                    advance(len(answered))
                submit_more()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: do not wait for the queue
        raise
    pool.shutdown(wait=True)
    missing = [cases[i].index for i, c in enumerate(done) if c is None]
    if missing:
        raise RuntimeError(f"target {target.ref} returned no result for cases {missing[:5]}")
    return [c for c in done if c is not None]


def _run_batch(target: Target, batch: Sequence[CaseResult]) -> list[CaseResult]:
    """The batch's results; a batch that raises is retried one case at a time."""
    started = time.perf_counter()
    try:
        answered = target.run(batch)
        if [c.index for c in answered] != [c.index for c in batch]:
            raise RuntimeError(f"target {target.ref} answered other cases than it was given")
        return answered
    except Exception as exc:
        if len(batch) > 1:
            return [case for one in batch for case in _run_batch(target, [one])]
        elapsed = (time.perf_counter() - started) * 1000
        case = batch[0]
        return [replace(case, output=None, error=error_text(exc), latency_ms=elapsed)]


def _batches(
    cases: Sequence[CaseResult], batch_size: int, parallel: int
) -> list[Sequence[CaseResult]]:
    """Batches of at most ``batch_size``, small enough to keep ``parallel`` workers busy."""
    size = max(1, min(batch_size, math.ceil(len(cases) / parallel)))
    return [cases[i : i + size] for i in range(0, len(cases), size)]


def _check_scorers(specs: Sequence[str]) -> None:
    """Every spec names a known scorer with valid options, no two writing one metric."""
    from shipyard.evals.scorers import metric_names

    metric_names(specs)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


class _Bar:
    """A rich progress bar by cases on stderr, shown on a terminal (or always, when asked)."""

    def __init__(self, progress: ShowProgress, total: int, label: str) -> None:
        self.progress, self.total, self.label = progress, total, label
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.progress:
            return lambda n: None
        from rich.console import Console

        console = Console(stderr=True)
        if self.progress != "always" and not console.is_terminal:
            return lambda n: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cases"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=console.is_terminal,  # elsewhere (a CI log) the last state stays printed
        )
        self._bar.start()
        task = self._bar.add_task(f"evaluating {self.label}", total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
