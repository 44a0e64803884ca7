"""What the services need from a metadata store, split into small repositories.

Two implementations: ``SqlStore`` (SQLite or PostgreSQL) and ``RemoteStore``
(the REST API of a shipyard server). Services only ever see these protocols.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

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
from shipyard.store.serving_records import DeploymentRecord, PredictionQuery, PredictionRecord
from shipyard.store.trace_records import (
    CallQuery,
    LLMCallRecord,
    SpanRecord,
    TraceQuery,
    TraceRecord,
)


class ExperimentRepo(Protocol):
    def get_or_create(self, name: str) -> Experiment: ...
    def get(self, ref: str | int) -> Experiment: ...
    def list(self) -> builtins.list[Experiment]: ...
    def delete(self, experiment_id: int) -> None: ...


class RunRepo(Protocol):
    def create(
        self,
        experiment_id: int,
        name: str,
        parent_id: str | None = None,
        env_digest: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, ParamValue] | None = None,
    ) -> Run: ...
    def get(self, run_id: str) -> Run: ...
    def finish(self, run_id: str, status: RunStatus) -> Run: ...
    def delete(self, run_id: str) -> None: ...
    def search(self, query: RunQuery) -> RunPage: ...


class RunDataRepo(Protocol):
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricPoint] = (),
        params: Mapping[str, ParamValue] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None: ...
    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]: ...


class ArtifactRepo(Protocol):
    def add(self, run_id: str, entries: Sequence[ArtifactEntry]) -> None: ...
    def list(self, run_id: str) -> builtins.list[ArtifactEntry]: ...
    def referenced_digests(self) -> set[str]: ...


class EnvironmentRepo(Protocol):
    def put(self, body: Mapping[str, Any]) -> str: ...
    def get(self, digest: str) -> dict[str, Any]: ...


class AssetRepo(Protocol):
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
    ) -> tuple[AssetVersion, bool]: ...
    def resolve(self, ref: str | AssetRef) -> AssetVersion: ...
    def list(self, kind: str | None = None) -> builtins.list[Asset]: ...
    def versions(self, kind: str, name: str) -> builtins.list[AssetVersion]: ...
    def files(self, ref: str | AssetRef, path: str | None = None) -> builtins.list[AssetFile]: ...
    def delete(self, ref: str | AssetRef, *, whole_asset: bool = False) -> None: ...
    def referenced_digests(self) -> set[str]: ...


class AliasRepo(Protocol):
    def move(
        self,
        ref: AssetRef,
        alias: str,
        *,
        moved_by: str | None = None,
        evidence: str | None = None,
        authorized: bool = False,
    ) -> AliasMove: ...
    def protect(
        self, ref: AssetRef, alias: str, protected: bool = True, moved_by: str | None = None
    ) -> Alias: ...
    def list(self, ref: AssetRef) -> builtins.list[Alias]: ...
    def history(self, ref: AssetRef, alias: str | None = None) -> builtins.list[AliasMove]: ...
    def delete(self, ref: AssetRef, alias: str, moved_by: str | None = None) -> None: ...
    def set_gate(
        self, ref: AssetRef, alias: str, policy: str | None, by: str | None = None
    ) -> AliasGate | None: ...
    def gate(self, ref: AssetRef, alias: str) -> str | None: ...
    def gates(self, ref: AssetRef) -> builtins.list[AliasGate]: ...


class LineageRepo(Protocol):
    def record(
        self,
        relation: Relation,
        version: str | AssetRef,
        *,
        run_id: str | None = None,
        source: str | AssetRef | None = None,
    ) -> None: ...
    def edges(
        self, *, runs: Sequence[str] = (), versions: Sequence[str | AssetRef] = ()
    ) -> builtins.list[LineageEdge]: ...


class PredictionRepo(Protocol):
    def insert_many(self, records: Sequence[PredictionRecord]) -> None: ...
    def query(self, query: PredictionQuery) -> list[PredictionRecord]: ...


class DeploymentRepo(Protocol):
    def register(self, deployment: DeploymentRecord) -> None: ...
    def heartbeat(
        self, deployment_id: str, versions: Mapping[str, int | None], at: int
    ) -> None: ...
    def stop(self, deployment_id: str, at: int) -> None: ...
    def list(self, name: str | None = None) -> builtins.list[DeploymentRecord]: ...


class TraceRepo(Protocol):
    def record(
        self,
        traces: Sequence[TraceRecord],
        spans: Sequence[SpanRecord],
        calls: Sequence[LLMCallRecord],
    ) -> None: ...
    def list(self, query: TraceQuery) -> builtins.list[TraceRecord]: ...
    def get(self, trace_id: str) -> tuple[TraceRecord, builtins.list[SpanRecord]]: ...
    def calls(self, query: CallQuery) -> builtins.list[LLMCallRecord]: ...
    def delete_before(self, before_ms: int) -> int: ...


class Store(Protocol):
    """A metadata store: one attribute per repository."""

    @property
    def experiments(self) -> ExperimentRepo: ...
    @property
    def runs(self) -> RunRepo: ...
    @property
    def run_data(self) -> RunDataRepo: ...
    @property
    def artifacts(self) -> ArtifactRepo: ...
    @property
    def environments(self) -> EnvironmentRepo: ...
    @property
    def assets(self) -> AssetRepo: ...
    @property
    def aliases(self) -> AliasRepo: ...
    @property
    def lineage(self) -> LineageRepo: ...
    @property
    def predictions(self) -> PredictionRepo: ...
    @property
    def deployments(self) -> DeploymentRepo: ...
    @property
    def traces(self) -> TraceRepo: ...
    def close(self) -> None: ...
