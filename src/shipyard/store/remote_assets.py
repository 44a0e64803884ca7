"""The registry repositories of ``RemoteStore``: the asset REST API of a shipyard server.

A client cannot claim that a check passed: a move that needs one (a protected
or gated alias) goes to ``/api/v1/aliases/promote``, where the server runs the
gate again itself (reusing the evaluations already stored) and moves the alias
only when it passes, recording its own evidence.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from shipyard.core.http import ApiClient
from shipyard.core.refs import AssetRef
from shipyard.store.asset_records import (
    Alias,
    AliasGate,
    AliasMove,
    Asset,
    AssetFile,
    AssetVersion,
    LineageEdge,
    Relation,
)


class RemoteAssets:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def register(
        self,
        kind: str,
        name: str,
        files: Sequence[AssetFile],
        metadata: Mapping[str, Any] | None = None,
        *,
        run_id: str | None = None,
        created_by: str | None = None,
        derived_from: Sequence[str] = (),
    ) -> tuple[AssetVersion, bool]:
        body = {
            "kind": kind,
            "name": name,
            "files": [f.to_dict() for f in files],
            "metadata": dict(metadata or {}),
            "run_id": run_id,
            "created_by": created_by,
            "derived_from": list(derived_from),
        }
        out = self.api.request("POST", "/api/v1/assets/versions", json=body)
        return AssetVersion.from_dict(out["version"]), bool(out["created"])

    def resolve(self, ref: str | AssetRef) -> AssetVersion:
        out = self.api.request("GET", "/api/v1/assets/resolve", params={"ref": str(ref)})
        return AssetVersion.from_dict(out)

    def list(self, kind: str | None = None) -> builtins.list[Asset]:
        params = {"kind": kind} if kind else {}
        out = self.api.request("GET", "/api/v1/assets", params=params)
        return [Asset.from_dict(a) for a in out["assets"]]

    def versions(self, kind: str, name: str) -> builtins.list[AssetVersion]:
        out = self.api.request("GET", "/api/v1/assets/versions", params={"ref": f"{kind}:{name}"})
        return [AssetVersion.from_dict(v) for v in out["versions"]]

    def files(self, ref: str | AssetRef, path: str | None = None) -> builtins.list[AssetFile]:
        params = {"ref": str(ref), **({"path": path} if path is not None else {})}
        out = self.api.request("GET", "/api/v1/assets/files", params=params)
        return [AssetFile.from_dict(f) for f in out["files"]]

    def delete(self, ref: str | AssetRef, *, whole_asset: bool = False) -> None:
        params = {"ref": str(ref), "whole_asset": str(whole_asset).lower()}
        self.api.request("DELETE", "/api/v1/assets", params=params)

    def referenced_digests(self) -> set[str]:
        return set(self.api.request("GET", "/api/v1/assets/referenced-digests")["digests"])


class RemoteAliases:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def move(
        self,
        ref: AssetRef,
        alias: str,
        *,
        moved_by: str | None = None,
        evidence: str | None = None,
        authorized: bool = False,
    ) -> AliasMove:
        # ``authorized`` is not sent: a server decides itself whether a check passed.
        body = {"ref": str(ref), "alias": alias, "moved_by": moved_by, "evidence": evidence}
        path = "/api/v1/aliases/promote" if authorized else "/api/v1/aliases/move"
        return AliasMove.from_dict(self.api.request("POST", path, json=body))

    def protect(
        self, ref: AssetRef, alias: str, protected: bool = True, moved_by: str | None = None
    ) -> Alias:
        body = {"ref": str(ref), "alias": alias, "protected": protected, "moved_by": moved_by}
        return Alias.from_dict(self.api.request("POST", "/api/v1/aliases/protect", json=body))

    def list(self, ref: AssetRef) -> builtins.list[Alias]:
        out = self.api.request("GET", "/api/v1/aliases", params={"ref": ref.base})
        return [Alias.from_dict(a) for a in out["aliases"]]

    def history(self, ref: AssetRef, alias: str | None = None) -> builtins.list[AliasMove]:
        params = {"ref": ref.base, **({"alias": alias} if alias else {})}
        out = self.api.request("GET", "/api/v1/aliases/history", params=params)
        return [AliasMove.from_dict(m) for m in out["moves"]]

    def delete(self, ref: AssetRef, alias: str, moved_by: str | None = None) -> None:
        params = {"ref": ref.base, "alias": alias, **({"moved_by": moved_by} if moved_by else {})}
        self.api.request("DELETE", "/api/v1/aliases", params=params)

    def set_gate(
        self, ref: AssetRef, alias: str, policy: str | None, by: str | None = None
    ) -> AliasGate | None:
        body = {"ref": ref.base, "alias": alias, "policy": policy, "updated_by": by}
        out = self.api.request("POST", "/api/v1/aliases/gate", json=body)
        return None if out["gate"] is None else AliasGate.from_dict(out["gate"])

    def gate(self, ref: AssetRef, alias: str) -> str | None:
        out = self.api.request(
            "GET", "/api/v1/aliases/gate", params={"ref": ref.base, "alias": alias}
        )
        policy = out["policy"]
        return None if policy is None else str(policy)

    def gates(self, ref: AssetRef) -> builtins.list[AliasGate]:
        out = self.api.request("GET", "/api/v1/aliases/gates", params={"ref": ref.base})
        return [AliasGate.from_dict(g) for g in out["gates"]]


class RemoteLineage:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def record(
        self,
        relation: Relation,
        version: str | AssetRef,
        *,
        run_id: str | None = None,
        source: str | AssetRef | None = None,
    ) -> None:
        body = {
            "relation": relation,
            "version": str(version),
            "run_id": run_id,
            "source": None if source is None else str(source),
        }
        self.api.request("POST", "/api/v1/lineage", json=body)

    def edges(
        self, *, runs: Sequence[str] = (), versions: Sequence[str | AssetRef] = ()
    ) -> builtins.list[LineageEdge]:
        params = {"run": list(runs), "version": [str(v) for v in versions]}
        out = self.api.request("GET", "/api/v1/lineage", params=params)
        return [LineageEdge.from_dict(e) for e in out["edges"]]
