"""``/api/v1/assets``, ``/api/v1/aliases`` and ``/api/v1/lineage``: the registry over REST.

Aliases with a gate (``/aliases/gate``) move through ``/aliases/promote``, where
the server runs the gate itself (``shipyard.evals.promotion``).

Every endpoint that names an asset takes the reference form
``KIND:NAME[@VERSION|@ALIAS|@latest]`` in a ``ref`` field or query parameter.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from shipyard.core.errors import NotFound
from shipyard.core.refs import parse_ref
from shipyard.server.deps import workspace
from shipyard.store.asset_records import AssetFile
from shipyard.workspace import Workspace

router = APIRouter(tags=["assets"])


class FileIn(BaseModel):
    path: str
    digest: str
    size: int = Field(ge=0)
    pack_digest: str | None = None
    pack_offset: int | None = Field(default=None, ge=0)


class RegisterIn(BaseModel):
    kind: str
    name: str
    files: list[FileIn] = []
    metadata: dict[str, Any] = {}
    run_id: str | None = None
    created_by: str | None = None
    derived_from: list[str] = []


class MoveIn(BaseModel):
    ref: str
    alias: str
    moved_by: str | None = None
    evidence: str | None = None


class ProtectIn(BaseModel):
    ref: str
    alias: str
    protected: bool = True
    moved_by: str | None = None


class GateIn(BaseModel):
    ref: str
    alias: str
    policy: str | None = None  # the YAML text; None removes the gate
    updated_by: str | None = None


class EdgeIn(BaseModel):
    relation: str
    version: str
    run_id: str | None = None
    source: str | None = None


@router.get("/assets")
def list_assets(kind: str | None = None, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"assets": [a.to_dict() for a in ws.store.assets.list(kind)]}


@router.post("/assets/versions")
def register_version(body: RegisterIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    files = [AssetFile(**f.model_dump()) for f in body.files]
    for f in files:
        needed = f.pack_digest or f.digest
        if not ws.blobs.exists(needed):
            raise NotFound(f"blob {needed[:12]} for {f.path!r} was never uploaded")
    version, created = ws.store.assets.register(
        body.kind,
        body.name,
        files,
        body.metadata,
        run_id=body.run_id,
        created_by=body.created_by,
        derived_from=body.derived_from,
    )
    return {"version": version.to_dict(), "created": created}


@router.get("/assets/versions")
def list_versions(ref: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    parsed = parse_ref(ref)
    return {"versions": [v.to_dict() for v in ws.store.assets.versions(parsed.kind, parsed.name)]}


@router.get("/assets/resolve")
def resolve(ref: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return ws.store.assets.resolve(ref).to_dict()


@router.get("/assets/files")
def list_files(
    ref: str, path: str | None = None, ws: Workspace = Depends(workspace)
) -> dict[str, Any]:
    return {"files": [f.to_dict() for f in ws.store.assets.files(ref, path)]}


@router.delete("/assets", status_code=204)
def delete_asset(
    ref: str, whole_asset: bool = False, ws: Workspace = Depends(workspace)
) -> Response:
    ws.store.assets.delete(ref, whole_asset=whole_asset)
    return Response(status_code=204)


@router.get("/assets/referenced-digests")
def referenced(ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"digests": sorted(ws.store.assets.referenced_digests())}


@router.get("/aliases")
def list_aliases(ref: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"aliases": [a.to_dict() for a in ws.store.aliases.list(parse_ref(ref))]}


@router.post("/aliases/move")
def move_alias(body: MoveIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    # A remote caller cannot claim a passing check: protected aliases move only
    # through checks the server runs itself (evaluation gates, a later issue).
    move = ws.store.aliases.move(
        parse_ref(body.ref), body.alias, moved_by=body.moved_by, evidence=body.evidence
    )
    return move.to_dict()


@router.post("/aliases/protect")
def protect_alias(body: ProtectIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    alias = ws.store.aliases.protect(
        parse_ref(body.ref), body.alias, body.protected, moved_by=body.moved_by
    )
    return alias.to_dict()


@router.get("/aliases/history")
def alias_history(
    ref: str, alias: str | None = None, ws: Workspace = Depends(workspace)
) -> dict[str, Any]:
    return {"moves": [m.to_dict() for m in ws.store.aliases.history(parse_ref(ref), alias)]}


@router.delete("/aliases", status_code=204)
def delete_alias(
    ref: str, alias: str, moved_by: str | None = None, ws: Workspace = Depends(workspace)
) -> Response:
    ws.store.aliases.delete(parse_ref(ref), alias, moved_by=moved_by)
    return Response(status_code=204)


@router.post("/aliases/promote")
def promote_alias(body: MoveIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    # The client's check is not trusted: the server runs the gate again itself,
    # reusing the evaluations stored here, and records its own evidence.
    from shipyard.evals.promotion import verify_and_promote

    move = verify_and_promote(
        body.ref, body.alias, body.evidence, moved_by=body.moved_by, workspace=ws
    )
    return move.to_dict()


@router.post("/aliases/gate")
def set_alias_gate(body: GateIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    from shipyard.evals.promotion import attach_gate

    gate = attach_gate(
        body.ref, body.alias, body.policy, source="gate", by=body.updated_by, workspace=ws
    )
    return {"gate": None if gate is None else gate.to_dict()}


@router.get("/aliases/gate")
def alias_gate(ref: str, alias: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"policy": ws.store.aliases.gate(parse_ref(ref), alias)}


@router.get("/aliases/gates")
def alias_gates(ref: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"gates": [g.to_dict() for g in ws.store.aliases.gates(parse_ref(ref))]}


@router.post("/lineage", status_code=204)
def record_edge(body: EdgeIn, ws: Workspace = Depends(workspace)) -> Response:
    ws.store.lineage.record(
        body.relation,  # type: ignore[arg-type]
        body.version,
        run_id=body.run_id,
        source=body.source,
    )
    return Response(status_code=204)


@router.get("/lineage")
def lineage_edges(
    run: list[str] = Query(default=[]),
    version: list[str] = Query(default=[]),
    ws: Workspace = Depends(workspace),
) -> dict[str, Any]:
    return {"edges": [e.to_dict() for e in ws.store.lineage.edges(runs=run, versions=version)]}
