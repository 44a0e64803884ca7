"""``/api/v1/keys``: create, list and revoke the gateway's virtual keys, behind the server token.

The secret of a new key is in the response to ``POST /api/v1/keys`` and
nowhere else (sent with ``Cache-Control: no-store``); every other answer
carries the key's prefix only. ``shipyard keys`` uses these routes when
``SHIPYARD_URI`` names this server.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from shipyard.core.clock import now_ms
from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.llm.config import GatewayConfig
from shipyard.llm.key_records import VirtualKey
from shipyard.llm.keys import (
    create_key,
    get_key,
    key_status,
    key_usage,
    list_keys,
    revoke_key,
)
from shipyard.server.deps import workspace
from shipyard.workspace import Workspace

router = APIRouter(tags=["keys"])
JsonBody = Annotated[dict[str, Any], Body()]
_FIELDS = {
    "project",
    "name",
    "budget",
    "budget_usd",
    "budget_period",
    "tpm",
    "rpm",
    "models",
    "expires_in_s",
}


@router.post("/keys", status_code=201)
def create(
    body: JsonBody, response: Response, ws: Workspace = Depends(workspace)
) -> dict[str, Any]:
    unknown = set(body) - _FIELDS
    if unknown:
        raise InvalidInput(
            f"unknown field(s) {', '.join(sorted(unknown))}; a key takes {', '.join(sorted(_FIELDS))}"
        )
    models = body.get("models") or ()
    if not isinstance(models, list | tuple) or not all(isinstance(m, str) for m in models):
        raise InvalidInput("models must be a list of model names or aliases")
    expires = body.get("expires_in_s")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int | float)):
        raise InvalidInput(f"expires_in_s must be a number of seconds, got {expires!r}")
    key, secret = create_key(
        body.get("project") or "",  # create_key refuses a non-text project with a 400
        name=body.get("name"),
        budget=body.get("budget"),
        budget_usd=body.get("budget_usd"),
        budget_period="day" if body.get("budget_period") is None else body["budget_period"],
        tpm=body.get("tpm"),
        rpm=body.get("rpm"),
        models=list(models),
        expires_in_s=None if expires is None else float(expires),
        workspace=ws,
    )
    response.headers["Cache-Control"] = "no-store"
    return {"key": key.to_dict(), "secret": secret}


@router.get("/keys")
def list_(
    request: Request,
    project: str | None = None,
    all: bool = False,
    usage: bool = True,
    ws: Workspace = Depends(workspace),
) -> dict[str, Any]:
    """Keys newest first; active ones with their usage in the current windows."""
    now = now_ms()
    out = []
    for key in list_keys(project, include_revoked=all, workspace=ws):
        body = _public(key, now)
        body["usage"] = _usage(request, key, ws) if usage and body["status"] == "active" else None
        out.append(body)
    return {"keys": out}


@router.get("/keys/{key_id}")
def get(key_id: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"key": _public(get_key(key_id, workspace=ws), now_ms())}


@router.get("/keys/{key_id}/usage")
def usage_of(key_id: str, request: Request, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    key = get_key(key_id, workspace=ws)
    found = key_usage(key, config=gateway_config(request), workspace=ws)
    return {"usage": found.to_dict()}


@router.post("/keys/{key_id}/revoke")
def revoke(key_id: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"key": _public(revoke_key(key_id, workspace=ws), now_ms())}


def _public(key: VirtualKey, now: int) -> dict[str, Any]:
    return {**key.to_dict(), "status": key_status(key, now)}


def _usage(request: Request, key: VirtualKey, ws: Workspace) -> dict[str, Any] | None:
    try:
        return key_usage(key, config=gateway_config(request), workspace=ws).to_dict()
    except ShipyardError:
        return None  # counters unreachable (Redis down): the key still lists


def gateway_config(request: Request) -> GatewayConfig | None:
    """The config of the gateway mounted on this server, if any (it may name a Redis)."""
    config = getattr(getattr(request.app.state, "gateway", None), "config", None)
    return config if isinstance(config, GatewayConfig) else None
