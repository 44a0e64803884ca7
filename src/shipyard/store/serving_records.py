"""Records of model serving: logged predictions and registered deployments, with their wire form.

A prediction row is one request answered by one model version: its inputs as
columns (``{"income": [..], "age": [..]}``, the signature's columns only), its
outputs (one JSON value per input row) and how long it took. A deployment row
is one model server process: where it listens, what it serves, and when it
last said it was alive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DeploymentState = Literal["running", "stopped"]


@dataclass(frozen=True)
class PredictionRecord:
    """One answered request (or its shadow copy).

    Attributes:
        request_id: the request's id (a shadow copy shares its primary's).
        deployment: the name of the deployment that served it.
        model: the model's name (``credit``), or the folder name for a local model.
        version: the model version number; ``None`` for a local model folder.
        alias: the alias the request was routed to (``production``), if any.
        shadow: whether this is a shadow copy (logged, never returned).
        inputs: the validated inputs as columns: column name → list of values.
        outputs: one JSON value per input row.
        latency_ms: time from receiving the request to having its predictions.
        created_at: milliseconds since the epoch.
        id: the store's row id (``None`` before it is stored).
    """

    request_id: str
    deployment: str
    model: str
    version: int | None
    alias: str | None
    shadow: bool
    inputs: dict[str, list[Any]]
    outputs: list[Any]
    latency_ms: float
    created_at: int
    id: int | None = None

    @property
    def rows(self) -> int:
        return len(self.outputs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request_id": self.request_id,
            "deployment": self.deployment,
            "model": self.model,
            "version": self.version,
            "alias": self.alias,
            "shadow": self.shadow,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "latency_ms": self.latency_ms,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PredictionRecord:
        return cls(
            id=None if d.get("id") is None else int(d["id"]),
            request_id=str(d["request_id"]),
            deployment=str(d["deployment"]),
            model=str(d["model"]),
            version=None if d.get("version") is None else int(d["version"]),
            alias=d.get("alias"),
            shadow=bool(d.get("shadow", False)),
            inputs=dict(d.get("inputs") or {}),
            outputs=list(d.get("outputs") or []),
            latency_ms=float(d["latency_ms"]),
            created_at=int(d["created_at"]),
        )


@dataclass(frozen=True)
class PredictionQuery:
    """Which logged predictions to read: all filters are optional and combine with AND.

    ``since`` is inclusive and ``until`` exclusive (milliseconds since the
    epoch). Results come oldest first, or newest first with ``newest_first``.
    """

    model: str | None = None
    version: int | None = None
    alias: str | None = None
    deployment: str | None = None
    request_id: str | None = None
    shadow: bool | None = None
    since: int | None = None
    until: int | None = None
    limit: int = 1000
    newest_first: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "alias": self.alias,
            "deployment": self.deployment,
            "request_id": self.request_id,
            "shadow": self.shadow,
            "since": self.since,
            "until": self.until,
            "limit": self.limit,
            "newest_first": self.newest_first,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PredictionQuery:
        def number(key: str) -> int | None:
            return None if d.get(key) is None else int(d[key])

        shadow = d.get("shadow")
        return cls(
            model=d.get("model"),
            version=number("version"),
            alias=d.get("alias"),
            deployment=d.get("deployment"),
            request_id=d.get("request_id"),
            shadow=None if shadow is None else bool(shadow),
            since=number("since"),
            until=number("until"),
            limit=int(d.get("limit", 1000)),
            newest_first=bool(d.get("newest_first", False)),
        )


@dataclass(frozen=True)
class DeploymentRecord:
    """One model server process as it registered itself.

    Attributes:
        id: random id of this server process (several replicas may share a name).
        name: the deployment's name (``--name``; the model's name by default).
        url: where it answers (``http://host:port``).
        pid: the server's process id; ``hostname`` the machine it runs on.
        source: what it was started with (``model:credit@production`` or a folder).
        model: the model's name.
        versions: route label (an alias, a version like ``@3``, or ``folder``) → version
            number it serves now (``None`` for a local folder).
        split: route label → traffic weight (percent).
        shadow: the alias receiving shadow copies, if any.
        state: ``running`` until it stops cleanly, then ``stopped``.
        started_at, heartbeat_at, stopped_at: milliseconds since the epoch.
        heartbeat_interval_ms: how often it promised to heartbeat (to tell a lost server).
    """

    id: str
    name: str
    url: str
    pid: int
    hostname: str
    source: str
    model: str
    versions: dict[str, int | None]
    split: dict[str, float]
    shadow: str | None
    state: DeploymentState
    started_at: int
    heartbeat_at: int
    heartbeat_interval_ms: int
    stopped_at: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "pid": self.pid,
            "hostname": self.hostname,
            "source": self.source,
            "model": self.model,
            "versions": dict(self.versions),
            "split": dict(self.split),
            "shadow": self.shadow,
            "state": self.state,
            "started_at": self.started_at,
            "heartbeat_at": self.heartbeat_at,
            "heartbeat_interval_ms": self.heartbeat_interval_ms,
            "stopped_at": self.stopped_at,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DeploymentRecord:
        return cls(
            id=str(d["id"]),
            name=str(d["name"]),
            url=str(d["url"]),
            pid=int(d["pid"]),
            hostname=str(d["hostname"]),
            source=str(d["source"]),
            model=str(d["model"]),
            versions={
                str(k): None if v is None else int(v) for k, v in (d.get("versions") or {}).items()
            },
            split={str(k): float(v) for k, v in (d.get("split") or {}).items()},
            shadow=d.get("shadow"),
            state="stopped" if d.get("state") == "stopped" else "running",
            started_at=int(d["started_at"]),
            heartbeat_at=int(d["heartbeat_at"]),
            heartbeat_interval_ms=int(d["heartbeat_interval_ms"]),
            stopped_at=None if d.get("stopped_at") is None else int(d["stopped_at"]),
            details=dict(d.get("details") or {}),
        )
