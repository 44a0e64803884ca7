"""Request bodies of the REST API (responses are the records' ``to_dict`` forms)."""

from __future__ import annotations

from pydantic import BaseModel, Field

ParamValue = str | int | float | bool | None


class ExperimentIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)


class RunIn(BaseModel):
    experiment_id: int
    name: str = Field(min_length=1, max_length=255)
    parent_id: str | None = None
    env_digest: str | None = None
    tags: dict[str, str] = {}
    params: dict[str, ParamValue] = {}


class FinishIn(BaseModel):
    status: str


class MetricIn(BaseModel):
    key: str
    value: float | str = Field(description='a number, or "NaN", "Infinity", "-Infinity"')
    step: int
    timestamp: int


class BatchIn(BaseModel):
    metrics: list[MetricIn] = []
    params: dict[str, ParamValue] = {}
    tags: dict[str, str] = {}


class SearchIn(BaseModel):
    experiment_ids: list[int] | None = None
    filter: str | None = None
    order_by: list[str] = []
    max_results: int = 100
    page_token: str | None = None
    parent_id: str | None = None


class ArtifactIn(BaseModel):
    path: str
    digest: str
    size: int = Field(ge=0)


class ArtifactsIn(BaseModel):
    entries: list[ArtifactIn]
