"""shipyard: one tool for the whole life of a model.

The public API is the names in ``__all__``; they are imported on first use so
that ``import shipyard`` stays fast (heavy dependencies load only when needed).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from shipyard.core.version import __version__

# Namespaces: ``sy.datasets.load(...)`` and friends, each a module loaded on first use.
_MODULES: dict[str, str] = {
    "datasets": "shipyard.assets.datasets.api",
    "prompts": "shipyard.assets.prompts.api",
    "indexes": "shipyard.assets.indexes.api",
    "models": "shipyard.assets.models.api",
    "pipelines": "shipyard.pipelines",
    "llm": "shipyard.llm",
    "evals": "shipyard.evals",
}

_EXPORTS: dict[str, str] = {
    # tracking
    "start_run": "shipyard.tracking.api",
    "active_run": "shipyard.tracking.api",
    "get_run": "shipyard.tracking.api",
    "search_runs": "shipyard.tracking.api",
    "metric_history": "shipyard.tracking.api",
    "list_experiments": "shipyard.tracking.api",
    "delete_run": "shipyard.tracking.api",
    "delete_experiment": "shipyard.tracking.api",
    "download_artifacts": "shipyard.tracking.api",
    "ActiveRun": "shipyard.tracking.run",
    # pipelines
    "step": "shipyard.pipelines.step_decorator",
    "pipeline": "shipyard.pipelines.pipeline_decorator",
    # tracing
    "trace": "shipyard.tracing",
    # records
    "Run": "shipyard.store.records",
    "RunPage": "shipyard.store.records",
    "Experiment": "shipyard.store.records",
    "MetricPoint": "shipyard.store.records",
    # storage
    "Settings": "shipyard.core.settings",
    "Workspace": "shipyard.workspace",
    "collect_garbage": "shipyard.workspace",
    # errors
    "ShipyardError": "shipyard.core.errors",
    "UserError": "shipyard.core.errors",
    "InvalidInput": "shipyard.core.errors",
    "NotFound": "shipyard.core.errors",
    "Conflict": "shipyard.core.errors",
    "StoreError": "shipyard.core.errors",
}

__all__ = [
    "ActiveRun",
    "Conflict",
    "Experiment",
    "InvalidInput",
    "MetricPoint",
    "NotFound",
    "Run",
    "RunPage",
    "Settings",
    "ShipyardError",
    "StoreError",
    "UserError",
    "Workspace",
    "__version__",
    "active_run",
    "collect_garbage",
    "datasets",
    "delete_experiment",
    "delete_run",
    "download_artifacts",
    "evals",
    "get_run",
    "indexes",
    "list_experiments",
    "llm",
    "metric_history",
    "models",
    "pipeline",
    "pipelines",
    "prompts",
    "search_runs",
    "start_run",
    "step",
    "trace",
]

if TYPE_CHECKING:
    from shipyard import evals, llm, pipelines
    from shipyard.assets.datasets import api as datasets
    from shipyard.assets.indexes import api as indexes
    from shipyard.assets.models import api as models
    from shipyard.assets.prompts import api as prompts
    from shipyard.core.errors import (
        Conflict,
        InvalidInput,
        NotFound,
        ShipyardError,
        StoreError,
        UserError,
    )
    from shipyard.core.settings import Settings
    from shipyard.pipelines.pipeline_decorator import pipeline
    from shipyard.pipelines.step_decorator import step
    from shipyard.store.records import Experiment, MetricPoint, Run, RunPage
    from shipyard.tracing import trace
    from shipyard.tracking.api import (
        active_run,
        delete_experiment,
        delete_run,
        download_artifacts,
        get_run,
        list_experiments,
        metric_history,
        search_runs,
        start_run,
    )
    from shipyard.tracking.run import ActiveRun
    from shipyard.workspace import Workspace, collect_garbage


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        namespace = importlib.import_module(_MODULES[name])
        globals()[name] = namespace
        return namespace
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shipyard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
