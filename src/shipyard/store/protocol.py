"""What the services need from a metadata store, split into small repositories.

Two implementations: ``SqlStore`` (SQLite or PostgreSQL) and ``RemoteStore``
(the REST API of a shipyard server). Services only ever see these protocols.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

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
    def close(self) -> None: ...
