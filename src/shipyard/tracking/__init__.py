"""Experiment tracking: runs, metric series, params, tags, artifacts and environments."""

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

__all__ = [
    "ActiveRun",
    "active_run",
    "delete_experiment",
    "delete_run",
    "download_artifacts",
    "get_run",
    "list_experiments",
    "metric_history",
    "search_runs",
    "start_run",
]
