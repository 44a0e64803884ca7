"""Pipelines: ``@step`` and ``@pipeline`` in plain Python, cached, resumable, on local processes or Ray.

This package is ``sy.pipelines``: its public names (``run``, ``resume``,
``describe``, ``list_runs``, ``Model``, ``PipelineFailed``, …) are those of
``shipyard.pipelines.api``, loaded on first use so that importing one
submodule stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.pipelines.api import (
        Model,
        OutputView,
        Pipeline,
        PipelineFailed,
        PipelineResult,
        PipelineRunSummary,
        PipelineView,
        Step,
        StepView,
        UnstorableValue,
        describe,
        known_executors,
        list_pipeline_runs,
        list_runs,
        load_pipeline,
        pipeline,
        resume,
        run,
        step,
    )

__all__ = [
    "Model",
    "OutputView",
    "Pipeline",
    "PipelineFailed",
    "PipelineResult",
    "PipelineRunSummary",
    "PipelineView",
    "Step",
    "StepView",
    "UnstorableValue",
    "describe",
    "known_executors",
    "list_pipeline_runs",
    "list_runs",
    "load_pipeline",
    "pipeline",
    "resume",
    "run",
    "step",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'shipyard.pipelines' has no attribute {name!r}")
    value = getattr(importlib.import_module("shipyard.pipelines.api"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
