"""Where a finished evaluation lives, and how it is found and loaded back exactly.

An evaluation is a run tagged ``shipyard.kind=evaluation`` (with
``shipyard.target``, ``shipyard.data``, ``shipyard.model`` and
``shipyard.scorers``), its metrics logged as run metrics, and two artifacts:

* ``cases.jsonl`` — one JSON object per case, every ``CaseResult`` field;
* ``evaluation.json`` — target, data, model, scorers, metrics, details and
  what the target was (``target_info``). It is written last, after every case
  is stored, so a run without it (interrupted, failed) holds no evaluation.

JSON lines rather than Parquet: outputs and expected values mix types
(labels, numbers, texts, objects), which JSON keeps as they are. The result
``evaluate`` returns is rebuilt from the very bytes it stored, so loading it
again gives an equal ``EvaluationResult``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shipyard.blobs.integrity import open_verified
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.store.records import Run, RunQuery
from shipyard.tracking.run import ActiveRun
from shipyard.workspace import Workspace, current_workspace

KIND_TAG = "shipyard.kind"
EVALUATION_KIND = "evaluation"
TARGET_TAG = "shipyard.target"
DATA_TAG = "shipyard.data"
MODEL_TAG = "shipyard.model"
SCORERS_TAG = "shipyard.scorers"
CASES_ARTIFACT = "cases.jsonl"
EVALUATION_ARTIFACT = "evaluation.json"
FORMAT = 1


@dataclass(frozen=True)
class EvaluationSummary:
    """One line of ``list_evaluations``: what ran on what, and its numbers (no cases)."""

    run_id: str
    name: str
    target: str
    data: str
    model: str | None
    scorers: tuple[str, ...]
    metrics: Mapping[str, float]
    start_time: int
    experiment: str
    tags: Mapping[str, str] = field(default_factory=dict)


def case_to_dict(case: CaseResult) -> dict[str, Any]:
    """The JSON form of a case: every field, by name."""
    return {
        "index": case.index,
        "inputs": dict(case.inputs),
        "expected": case.expected,
        "output": case.output,
        "error": case.error,
        "latency_ms": float(case.latency_ms),
        "cost_usd": float(case.cost_usd),
        "prompt_tokens": int(case.prompt_tokens),
        "completion_tokens": int(case.completion_tokens),
        "proba": None if case.proba is None else dict(case.proba),
        "metadata": dict(case.metadata),
        "scores": dict(case.scores),
    }


def case_from_dict(d: Mapping[str, Any]) -> CaseResult:
    return CaseResult(
        index=int(d["index"]),
        inputs=dict(d.get("inputs") or {}),
        expected=d.get("expected"),
        output=d.get("output"),
        error=d.get("error"),
        latency_ms=float(d.get("latency_ms") or 0.0),
        cost_usd=float(d.get("cost_usd") or 0.0),
        prompt_tokens=int(d.get("prompt_tokens") or 0),
        completion_tokens=int(d.get("completion_tokens") or 0),
        proba=None if d.get("proba") is None else dict(d["proba"]),
        metadata=dict(d.get("metadata") or {}),
        scores=dict(d.get("scores") or {}),
    )


def store_evaluation(
    run: ActiveRun, result: EvaluationResult, target_info: Mapping[str, Any]
) -> EvaluationResult:
    """Write the cases, then ``evaluation.json``; return the result as it will load back."""
    lines = [_dumps(case_to_dict(c)) for c in result.cases]
    body = ("\n".join(lines) + "\n") if lines else ""
    run.log_text(body, CASES_ARTIFACT)
    document = {
        "format": FORMAT,
        "run_id": run.id,
        "target": result.target,
        "data": result.data,
        "model": result.model,
        "scorers": list(result.scorers),
        "metrics": dict(result.metrics),
        "details": dict(result.details),
        "cases": len(result.cases),
        "target_info": dict(target_info),
    }
    text = _dumps(document)
    run.log_text(text, EVALUATION_ARTIFACT)
    return _result(json.loads(text), [case_from_dict(json.loads(line)) for line in lines])


def load_evaluation(run_id: str, *, workspace: Workspace | None = None) -> EvaluationResult:
    """The evaluation stored by run ``run_id`` (an id or a unique prefix), with every case."""
    ws = workspace or current_workspace()
    run = ws.store.runs.get(run_id)
    if run.tags.get(KIND_TAG) != EVALUATION_KIND:
        raise InvalidInput(f"run {run.id[:8]} ({run.name}) is not an evaluation")
    entries = {e.path: e for e in ws.store.artifacts.list(run.id)}
    if EVALUATION_ARTIFACT not in entries or CASES_ARTIFACT not in entries:
        raise NotFound(
            f"evaluation run {run.id[:8]} holds no results (status {run.status}): it did not "
            "finish; run the evaluation again"
        )
    with open_verified(ws.blobs, entries[EVALUATION_ARTIFACT].digest, EVALUATION_ARTIFACT) as fh:
        document = json.loads(fh.read().decode("utf-8"))
    cases = []
    with open_verified(ws.blobs, entries[CASES_ARTIFACT].digest, CASES_ARTIFACT) as fh:
        for raw in fh:
            if raw.strip():
                cases.append(case_from_dict(json.loads(raw)))
    return _result(document, cases)


def list_evaluations(
    *,
    target: str | None = None,
    data: str | None = None,
    model: str | None = None,
    limit: int = 50,
    workspace: Workspace | None = None,
) -> list[EvaluationSummary]:
    """Finished evaluations, newest first.

    ``target`` and ``data`` are references: ``model:sentiment@production`` means
    the version the alias names now, ``model:sentiment`` (no ``@``) any version.
    Any other target (a URL, ``module:function``) matches exactly.
    """
    ws = workspace or current_workspace()
    clauses = [f"tags.`{KIND_TAG}` = '{EVALUATION_KIND}'", "status = 'finished'"]
    checks: list[tuple[str, str, bool]] = []
    for tag, ref in ((TARGET_TAG, target), (DATA_TAG, data)):
        if ref is None:
            continue
        value, prefix = _tag_value(ref, ws)
        op = "like" if prefix else "="
        clauses.append(f"tags.`{tag}` {op} {_quote(value + '%' if prefix else value)}")
        checks.append((tag, value, prefix))
    if model is not None:
        clauses.append(f"tags.`{MODEL_TAG}` = {_quote(model)}")
    page = ws.store.runs.search(
        RunQuery(
            filter=" and ".join(clauses),
            order_by=["start_time desc"],
            max_results=max(1, min(int(limit), 1000)),
        )
    )
    runs = [r for r in page.runs if all(_matches(r, *check) for check in checks)]
    return [_summary(r) for r in runs]


def latest_evaluation(
    target_ref: str,
    data_ref: str,
    scorers: Sequence[str] = (),
    *,
    model: str | None = None,
    max_age_s: float | None = None,
    workspace: Workspace | None = None,
) -> EvaluationResult | None:
    """The newest finished evaluation of exactly these versions that has every scorer asked for.

    References are resolved first (an alias to its version now), so a result
    is reused only for the very target and dataset versions it measured.
    ``None`` when there is none (younger than ``max_age_s``, if given).
    """
    ws = workspace or current_workspace()
    found = list_evaluations(
        target=_exact(target_ref), data=_exact(data_ref), model=model, limit=50, workspace=ws
    )
    wanted = set(scorers)
    oldest = None if max_age_s is None else time.time() * 1000 - max_age_s * 1000
    for summary in found:
        if oldest is not None and summary.start_time < oldest:
            return None  # newest first: every later one is older still
        if wanted <= set(summary.scorers):
            return load_evaluation(summary.run_id, workspace=ws)
    return None


def _exact(ref: str) -> str:
    """A reference that names one version (``model:x`` alone would mean any version)."""
    return (
        ref
        if "@" in ref or not ref.startswith(("model:", "prompt:", "dataset:"))
        else ref + "@latest"
    )


def _tag_value(ref: str, ws: Workspace) -> tuple[str, bool]:
    """The tag value to look for and whether it is a prefix (``model:x`` → any version)."""
    if not ref.startswith(("model:", "prompt:", "dataset:", "index:")):
        return ref, False
    if "@" not in ref:
        from shipyard.core.refs import parse_ref

        return f"{parse_ref(ref).base}@", True
    return ws.store.assets.resolve(ref).ref, False


def _matches(run: Run, tag: str, value: str, prefix: bool) -> bool:
    found = run.tags.get(tag, "")
    return found.startswith(value) if prefix else found == value


def _summary(run: Run) -> EvaluationSummary:
    return EvaluationSummary(
        run_id=run.id,
        name=run.name,
        target=run.tags.get(TARGET_TAG, ""),
        data=run.tags.get(DATA_TAG, ""),
        model=run.tags.get(MODEL_TAG),
        scorers=tuple(_scorers(run.tags.get(SCORERS_TAG))),
        metrics=dict(run.metrics),
        start_time=run.start_time,
        experiment=run.experiment,
        tags=dict(run.tags),
    )


def _scorers(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(s) for s in value] if isinstance(value, list) else []


def _result(document: Mapping[str, Any], cases: list[CaseResult]) -> EvaluationResult:
    return EvaluationResult(
        run_id=str(document["run_id"]),
        target=str(document["target"]),
        data=str(document["data"]),
        scorers=tuple(document.get("scorers") or ()),
        metrics=dict(document.get("metrics") or {}),
        cases=tuple(sorted(cases, key=lambda c: c.index)),
        details=dict(document.get("details") or {}),
        model=document.get("model"),
    )


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, allow_nan=True)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
