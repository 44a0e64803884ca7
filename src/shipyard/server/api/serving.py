"""``/api/v1/predictions`` and ``/api/v1/deployments``: what model servers log and register.

Model servers whose workspace is this server (``SHIPYARD_URI``) write here;
monitoring and the deployments page read here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Response

from shipyard.core.clock import now_ms
from shipyard.core.errors import InvalidInput
from shipyard.server.deps import workspace
from shipyard.store.serving_records import DeploymentRecord, PredictionQuery, PredictionRecord
from shipyard.workspace import Workspace

router = APIRouter(tags=["serving"])
T = TypeVar("T")
JsonBody = Annotated[dict[str, Any], Body()]
_MAX_BATCH = 10_000


def _parse(build: Callable[[dict[str, Any]], T], body: object, what: str) -> T:
    if not isinstance(body, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    try:
        return build(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"not a valid {what}: {type(exc).__name__}: {exc}") from None


@router.post("/predictions", status_code=204)
def insert_predictions(body: JsonBody, ws: Workspace = Depends(workspace)) -> Response:
    items = body.get("predictions")
    if not isinstance(items, list) or len(items) > _MAX_BATCH:
        raise InvalidInput(f"send {{'predictions': [...]}} with at most {_MAX_BATCH} records")
    records = [_parse(PredictionRecord.from_dict, item, "prediction record") for item in items]
    ws.store.predictions.insert_many(records)
    return Response(status_code=204)


@router.post("/predictions/query")
def query_predictions(body: JsonBody, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    query = _parse(PredictionQuery.from_dict, body, "prediction query")
    return {"predictions": [p.to_dict() for p in ws.store.predictions.query(query)]}


@router.post("/deployments", status_code=204)
def register_deployment(body: JsonBody, ws: Workspace = Depends(workspace)) -> Response:
    ws.store.deployments.register(_parse(DeploymentRecord.from_dict, body, "deployment"))
    return Response(status_code=204)


@router.post("/deployments/{deployment_id}/heartbeat", status_code=204)
def heartbeat(deployment_id: str, body: JsonBody, ws: Workspace = Depends(workspace)) -> Response:
    versions = body.get("versions") or {}
    if not isinstance(versions, dict):
        raise InvalidInput("versions must map route labels to version numbers")
    at = _parse(lambda b: int(b.get("at") or now_ms()), body, "heartbeat")
    clean = {str(k): None if v is None else int(v) for k, v in versions.items()}
    ws.store.deployments.heartbeat(deployment_id, clean, at)
    return Response(status_code=204)


@router.post("/deployments/{deployment_id}/stop", status_code=204)
def stop_deployment(
    deployment_id: str, body: JsonBody, ws: Workspace = Depends(workspace)
) -> Response:
    at = _parse(lambda b: int(b.get("at") or now_ms()), body, "stop")
    ws.store.deployments.stop(deployment_id, at)
    return Response(status_code=204)


@router.get("/deployments")
def list_deployments(name: str | None = None, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"deployments": [d.to_dict() for d in ws.store.deployments.list(name)]}
