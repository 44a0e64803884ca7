"""``/api/v1/runs``: runs, their data, artifacts and environments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import StreamingResponse

from shipyard.core.errors import NotFound
from shipyard.core.numbers import float_from_json
from shipyard.server.api.blobs import stream_blob
from shipyard.server.api.schemas import ArtifactsIn, BatchIn, FinishIn, RunIn, SearchIn
from shipyard.server.deps import workspace
from shipyard.store.records import ArtifactEntry, MetricPoint, RunQuery
from shipyard.store.validation import check_artifact_path
from shipyard.workspace import Workspace

router = APIRouter(tags=["runs"])


@router.post("/runs")
def create_run(body: RunIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    run = ws.store.runs.create(
        body.experiment_id,
        body.name,
        parent_id=body.parent_id,
        env_digest=body.env_digest,
        tags=body.tags,
        params=body.params,
    )
    return run.to_dict()


@router.post("/runs/search")
def search_runs(body: SearchIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return ws.store.runs.search(RunQuery.from_dict(body.model_dump())).to_dict()


@router.get("/runs/{run_id}")
def get_run(run_id: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return ws.store.runs.get(run_id).to_dict()


@router.post("/runs/{run_id}/finish")
def finish_run(run_id: str, body: FinishIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return ws.store.runs.finish(run_id, body.status).to_dict()  # type: ignore[arg-type]


@router.delete("/runs/{run_id}", status_code=204)
def delete_run(run_id: str, ws: Workspace = Depends(workspace)) -> Response:
    ws.store.runs.delete(run_id)
    return Response(status_code=204)


@router.post("/runs/{run_id}/batch", status_code=204)
def log_batch(run_id: str, body: BatchIn, ws: Workspace = Depends(workspace)) -> Response:
    points = [
        MetricPoint(m.key, float_from_json(m.value), m.step, m.timestamp) for m in body.metrics
    ]
    ws.store.run_data.log_batch(run_id, metrics=points, params=body.params, tags=body.tags)
    return Response(status_code=204)


@router.get("/runs/{run_id}/metric-history")
def metric_history(run_id: str, key: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    points = ws.store.run_data.metric_history(run_id, key)
    return {"key": key, "points": [p.to_dict() for p in points]}


@router.post("/runs/{run_id}/artifacts", status_code=204)
def add_artifacts(run_id: str, body: ArtifactsIn, ws: Workspace = Depends(workspace)) -> Response:
    entries = [ArtifactEntry(e.path, e.digest, e.size) for e in body.entries]
    for e in entries:
        if not ws.blobs.exists(e.digest):
            raise NotFound(f"blob {e.digest[:12]} for {e.path!r} was never uploaded")
    ws.store.artifacts.add(run_id, entries)
    return Response(status_code=204)


@router.get("/runs/{run_id}/artifacts")
def list_artifacts(run_id: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"artifacts": [e.to_dict() for e in ws.store.artifacts.list(run_id)]}


@router.get("/runs/{run_id}/artifacts/{path:path}")
def download_artifact(
    run_id: str, path: str, ws: Workspace = Depends(workspace)
) -> StreamingResponse:
    wanted = check_artifact_path(path)
    run = ws.store.runs.get(run_id)
    for entry in ws.store.artifacts.list(run.id):
        if entry.path == wanted:
            return stream_blob(ws, entry.digest, filename=wanted.rsplit("/", 1)[-1])
    raise NotFound(f"run {run.id[:8]} has no artifact {path!r}")


@router.post("/environments")
def put_environment(body: dict[str, Any], ws: Workspace = Depends(workspace)) -> dict[str, str]:
    return {"digest": ws.store.environments.put(body)}


@router.get("/environments/{digest}")
def get_environment(digest: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return ws.store.environments.get(digest)
