"""Plain records the store hands out, with their JSON wire form.

The SQL store and the REST client both return these, so the services above
cannot tell a local folder from a team server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from shipyard.core.numbers import float_from_json, float_to_json

RunStatus = Literal["running", "finished", "failed", "killed"]
RUN_STATUSES: tuple[RunStatus, ...] = ("running", "finished", "failed", "killed")
ParamValue = str | int | float | bool | None


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    created_at: int
    description: str | None = None
    run_count: int | None = None  # only listings count runs

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "description": self.description,
            "run_count": self.run_count,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Experiment:
        return cls(
            id=int(d["id"]),
            name=str(d["name"]),
            created_at=int(d["created_at"]),
            description=d.get("description"),
            run_count=None if d.get("run_count") is None else int(d["run_count"]),
        )


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": float_to_json(self.value),
            "step": self.step,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MetricPoint:
        return cls(
            key=str(d["key"]),
            value=float_from_json(d["value"]),
            step=int(d["step"]),
            timestamp=int(d["timestamp"]),
        )


@dataclass(frozen=True)
class ArtifactEntry:
    path: str
    digest: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "digest": self.digest, "size": self.size}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArtifactEntry:
        return cls(path=str(d["path"]), digest=str(d["digest"]), size=int(d["size"]))


@dataclass(frozen=True)
class Run:
    """A run as stored: identity, status, params, tags and the latest value of each metric."""

    id: str
    experiment_id: int
    experiment: str
    name: str
    status: RunStatus
    start_time: int
    end_time: int | None = None
    parent_id: str | None = None
    env_digest: str | None = None
    params: dict[str, ParamValue] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def duration_ms(self) -> int | None:
        return None if self.end_time is None else self.end_time - self.start_time

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "experiment_id": self.experiment_id,
            "experiment": self.experiment,
            "name": self.name,
            "status": self.status,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "parent_id": self.parent_id,
            "env_digest": self.env_digest,
            "params": dict(self.params),
            "tags": dict(self.tags),
            "metrics": {k: float_to_json(v) for k, v in self.metrics.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        return cls(
            id=str(d["id"]),
            experiment_id=int(d["experiment_id"]),
            experiment=str(d["experiment"]),
            name=str(d["name"]),
            status=d["status"],
            start_time=int(d["start_time"]),
            end_time=None if d.get("end_time") is None else int(d["end_time"]),
            parent_id=d.get("parent_id"),
            env_digest=d.get("env_digest"),
            params=dict(d.get("params") or {}),
            tags={str(k): str(v) for k, v in (d.get("tags") or {}).items()},
            metrics={str(k): float_from_json(v) for k, v in (d.get("metrics") or {}).items()},
        )


@dataclass(frozen=True)
class RunPage:
    runs: list[Run]
    next_page_token: str | None = None
    total: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.to_dict() for r in self.runs],
            "next_page_token": self.next_page_token,
            "total": self.total,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunPage:
        return cls(
            runs=[Run.from_dict(r) for r in d["runs"]],
            next_page_token=d.get("next_page_token"),
            total=d.get("total"),
        )


@dataclass(frozen=True)
class RunQuery:
    """What to search for: a filter expression, an order and a page."""

    experiment_ids: list[int] | None = None
    filter: str | None = None
    order_by: list[str] = field(default_factory=list)
    max_results: int = 100
    page_token: str | None = None
    parent_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment_ids": self.experiment_ids,
            "filter": self.filter,
            "order_by": list(self.order_by),
            "max_results": self.max_results,
            "page_token": self.page_token,
            "parent_id": self.parent_id,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunQuery:
        ids = d.get("experiment_ids")
        return cls(
            experiment_ids=None if ids is None else [int(i) for i in ids],
            filter=d.get("filter"),
            order_by=[str(o) for o in d.get("order_by") or []],
            max_results=int(d.get("max_results", 100)),
            page_token=d.get("page_token"),
            parent_id=d.get("parent_id"),
        )


def param_to_columns(value: ParamValue) -> tuple[str, str | None, float | None]:
    """Split a typed param into (type, text, number) columns so numbers compare as numbers."""
    if value is None:
        return "none", None, None
    if isinstance(value, bool):
        return "bool", "true" if value else "false", float(value)
    if isinstance(value, int):
        # an int beyond a double's range still compares as text
        return "int", str(value), float(value) if abs(value) < 2**1023 else None
    if isinstance(value, float):
        return "float", repr(value), value if math.isfinite(value) else None
    return "str", str(value), None


def param_from_columns(kind: str, text: str | None) -> ParamValue:
    if kind == "none" or text is None:
        return None
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return text
