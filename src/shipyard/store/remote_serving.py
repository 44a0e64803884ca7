"""The serving repositories of ``RemoteStore``: prediction log and deployments over REST.

A model server whose workspace is ``SHIPYARD_URI`` logs its predictions and
heartbeats through these, so a team server collects every replica's rows.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from shipyard.core.http import ApiClient
from shipyard.store.serving_records import DeploymentRecord, PredictionQuery, PredictionRecord


class RemotePredictions:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def insert_many(self, records: Sequence[PredictionRecord]) -> None:
        if records:
            body = {"predictions": [r.to_dict() for r in records]}
            self.api.request("POST", "/api/v1/predictions", json=body)

    def query(self, query: PredictionQuery) -> list[PredictionRecord]:
        out = self.api.request("POST", "/api/v1/predictions/query", json=query.to_dict())
        return [PredictionRecord.from_dict(p) for p in out["predictions"]]


class RemoteDeployments:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def register(self, deployment: DeploymentRecord) -> None:
        self.api.request("POST", "/api/v1/deployments", json=deployment.to_dict())

    def heartbeat(self, deployment_id: str, versions: Mapping[str, int | None], at: int) -> None:
        body = {"versions": dict(versions), "at": at}
        self.api.request("POST", f"/api/v1/deployments/{_q(deployment_id)}/heartbeat", json=body)

    def stop(self, deployment_id: str, at: int) -> None:
        self.api.request("POST", f"/api/v1/deployments/{_q(deployment_id)}/stop", json={"at": at})

    def list(self, name: str | None = None) -> builtins.list[DeploymentRecord]:
        params = {"name": name} if name is not None else {}
        out = self.api.request("GET", "/api/v1/deployments", params=params)
        return [DeploymentRecord.from_dict(d) for d in out["deployments"]]


def _q(value: str) -> str:
    return quote(value, safe="")
