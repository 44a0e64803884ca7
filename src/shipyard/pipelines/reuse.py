"""Recording a step whose outputs were reused (from the cache or the run being resumed).

The step still gets its child run, finished at once and tagged
``shipyard.cached_from``, whose output artifacts point at the very blobs the
earlier run wrote: nothing is copied, and the run reads like any other step
run (params, inputs, outputs, a one-line log saying where the outputs came from).
"""

from __future__ import annotations

import json
from typing import Any

from shipyard.pipelines import tags as T
from shipyard.pipelines.cache import Reusable
from shipyard.pipelines.graph import Spec, StepNode
from shipyard.tracking.artifacts import upload_bytes
from shipyard.workspace import Workspace


def record_reuse(
    ws: Workspace,
    pipeline_run_id: str,
    experiment_id: int,
    node: StepNode,
    key: str,
    source: Reusable,
    arguments: dict[str, Spec],
    why: str,
) -> str:
    """Create the finished child run of a reused step; return its id."""
    tags = {
        T.KIND: T.STEP_KIND,
        T.STEP: node.id,
        T.FUNCTION: node.step.ref,
        T.ATTEMPT: "0",
        T.CACHE_KEY: key,
        T.CACHED_FROM: source.run_id,
    }
    run = ws.store.runs.create(
        experiment_id, node.id, parent_id=pipeline_run_id, tags=tags, params=node.params()
    )
    try:
        ws.store.artifacts.add(run.id, source.entries)
        inputs = json.dumps({"arguments": arguments}, indent=2, sort_keys=True, default=str)
        upload_bytes(ws, run.id, inputs.encode(), T.INPUTS_ARTIFACT)
        note = f"{why}: outputs reused from run {source.run_id} (cache key {key})\n"
        upload_bytes(ws, run.id, note.encode(), T.LOGS_ARTIFACT)
    except BaseException:
        ws.store.runs.finish(run.id, "failed")
        raise
    ws.store.runs.finish(run.id, "finished")
    return run.id


def describe_inputs(arguments: dict[str, Spec]) -> dict[str, str]:
    """Where each non-JSON argument comes from, for people: ``data: split[0] (DataFrame …)``."""
    out: dict[str, str] = {}
    for name, spec in arguments.items():
        text = _describe(spec)
        if text is not None:
            out[name] = text
    return out


def _describe(spec: Spec) -> str | None:
    if "const" in spec:
        return None
    if "value" in spec:
        value: dict[str, Any] = spec["value"]
        return f"{spec.get('from', 'pipeline')}: {value.get('summary', '')}".rstrip(": ")
    if "items" in spec:
        parts = [_describe(s) for s in spec["items"]]
    else:
        parts = [_describe(s) for s in spec["entries"].values()]
    found = [p for p in parts if p is not None]
    return ", ".join(found) if found else None
