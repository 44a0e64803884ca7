"""A store whose repositories are the REST API of a shipyard server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from shipyard.core.http import ApiClient
from shipyard.store.records import (
    ArtifactEntry,
    Experiment,
    MetricPoint,
    ParamValue,
    Run,
    RunPage,
    RunQuery,
    RunStatus,
)
from shipyard.store.remote_assets import RemoteAliases, RemoteAssets, RemoteLineage
from shipyard.store.remote_serving import RemoteDeployments, RemotePredictions
from shipyard.store.remote_traces import RemoteTraces


def _q(value: str | int) -> str:
    return quote(str(value), safe="")


class _Experiments:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def get_or_create(self, name: str) -> Experiment:
        return Experiment.from_dict(
            self.api.request("POST", "/api/v1/experiments", json={"name": name})
        )

    def get(self, ref: str | int) -> Experiment:
        return Experiment.from_dict(self.api.request("GET", f"/api/v1/experiments/{_q(ref)}"))

    def list(self) -> list[Experiment]:
        body = self.api.request("GET", "/api/v1/experiments")
        return [Experiment.from_dict(e) for e in body["experiments"]]

    def delete(self, experiment_id: int) -> None:
        self.api.request("DELETE", f"/api/v1/experiments/{_q(experiment_id)}")


class _Runs:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def create(
        self,
        experiment_id: int,
        name: str,
        parent_id: str | None = None,
        env_digest: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, ParamValue] | None = None,
    ) -> Run:
        body = {
            "experiment_id": experiment_id,
            "name": name,
            "parent_id": parent_id,
            "env_digest": env_digest,
            "tags": dict(tags or {}),
            "params": dict(params or {}),
        }
        return Run.from_dict(self.api.request("POST", "/api/v1/runs", json=body))

    def get(self, run_id: str) -> Run:
        return Run.from_dict(self.api.request("GET", f"/api/v1/runs/{_q(run_id)}"))

    def finish(self, run_id: str, status: RunStatus) -> Run:
        body = self.api.request(
            "POST", f"/api/v1/runs/{_q(run_id)}/finish", json={"status": status}
        )
        return Run.from_dict(body)

    def delete(self, run_id: str) -> None:
        self.api.request("DELETE", f"/api/v1/runs/{_q(run_id)}")

    def search(self, query: RunQuery) -> RunPage:
        return RunPage.from_dict(
            self.api.request("POST", "/api/v1/runs/search", json=query.to_dict())
        )


class _RunData:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricPoint] = (),
        params: Mapping[str, ParamValue] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        body = {
            "metrics": [p.to_dict() for p in metrics],
            "params": dict(params or {}),
            "tags": dict(tags or {}),
        }
        self.api.request("POST", f"/api/v1/runs/{_q(run_id)}/batch", json=body)

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        body = self.api.request(
            "GET", f"/api/v1/runs/{_q(run_id)}/metric-history", params={"key": key}
        )
        return [MetricPoint.from_dict(p) for p in body["points"]]


class _Artifacts:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def add(self, run_id: str, entries: Sequence[ArtifactEntry]) -> None:
        body = {"entries": [e.to_dict() for e in entries]}
        self.api.request("POST", f"/api/v1/runs/{_q(run_id)}/artifacts", json=body)

    def list(self, run_id: str) -> list[ArtifactEntry]:
        body = self.api.request("GET", f"/api/v1/runs/{_q(run_id)}/artifacts")
        return [ArtifactEntry.from_dict(e) for e in body["artifacts"]]

    def referenced_digests(self) -> set[str]:
        return set(self.api.request("GET", "/api/v1/blobs/referenced")["digests"])


class _Environments:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def put(self, body: Mapping[str, Any]) -> str:
        return str(self.api.request("POST", "/api/v1/environments", json=dict(body))["digest"])

    def get(self, digest: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.request("GET", f"/api/v1/environments/{_q(digest)}")
        return result


class RemoteStore:
    """The same repositories as ``SqlStore``, served by a shipyard server."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.experiments = _Experiments(api)
        self.runs = _Runs(api)
        self.run_data = _RunData(api)
        self.artifacts = _Artifacts(api)
        self.environments = _Environments(api)
        self.assets = RemoteAssets(api)
        self.aliases = RemoteAliases(api)
        self.lineage = RemoteLineage(api)
        self.predictions = RemotePredictions(api)
        self.deployments = RemoteDeployments(api)
        self.traces = RemoteTraces(api)

    def close(self) -> None:
        self.api.close()

    def __repr__(self) -> str:
        return f"RemoteStore({self.api.base_url})"
