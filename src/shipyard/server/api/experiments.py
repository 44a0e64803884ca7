"""``/api/v1/experiments``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from shipyard.server.api.schemas import ExperimentIn
from shipyard.server.deps import workspace
from shipyard.workspace import Workspace

router = APIRouter(tags=["experiments"])


@router.get("/experiments")
def list_experiments(ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"experiments": [e.to_dict() for e in ws.store.experiments.list()]}


@router.post("/experiments")
def get_or_create_experiment(
    body: ExperimentIn, ws: Workspace = Depends(workspace)
) -> dict[str, Any]:
    return ws.store.experiments.get_or_create(body.name).to_dict()


@router.get("/experiments/{ref}")
def get_experiment(ref: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return ws.store.experiments.get(ref).to_dict()


@router.delete("/experiments/{ref}", status_code=204)
def delete_experiment(ref: str, ws: Workspace = Depends(workspace)) -> Response:
    ws.store.experiments.delete(ws.store.experiments.get(ref).id)
    return Response(status_code=204)
