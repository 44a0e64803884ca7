"""The tracking API: start runs, find them, delete them."""

from __future__ import annotations

import atexit
import contextvars
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from shipyard.core.ids import new_run_name
from shipyard.store.records import Experiment, MetricPoint, ParamValue, Run, RunPage, RunQuery
from shipyard.tracking import artifacts
from shipyard.tracking.environment import capture_environment
from shipyard.tracking.run import ActiveRun
from shipyard.workspace import Workspace, current_workspace

DEFAULT_EXPERIMENT = "default"

_stack: contextvars.ContextVar[tuple[ActiveRun, ...]] = contextvars.ContextVar(
    "shipyard_runs", default=()
)
_live: set[ActiveRun] = set()
_live_lock = threading.Lock()
_hooks_installed = False


def start_run(
    experiment: str | None = None,
    name: str | None = None,
    params: Mapping[str, ParamValue] | None = None,
    tags: Mapping[str, str] | None = None,
    *,
    parent: str | ActiveRun | None = None,
    capture_env: bool = True,
    workspace: Workspace | None = None,
) -> ActiveRun:
    """Start a run; use it as a context manager so its status is set for you.

    A run started while another is active in the same thread or task becomes
    its child (a nested run) in the same experiment unless ``experiment`` says
    otherwise.
    """
    active = _stack.get()
    if parent is None and active:
        parent = active[-1]
    parent_id = parent.id if isinstance(parent, ActiveRun) else parent
    ws = workspace or (parent.ws if isinstance(parent, ActiveRun) else current_workspace())
    if experiment is None and isinstance(parent, ActiveRun):
        experiment = parent.experiment
    exp = ws.store.experiments.get_or_create(experiment or DEFAULT_EXPERIMENT)
    env_digest = None
    if isinstance(parent, ActiveRun):
        env_digest = parent._record.env_digest
    elif capture_env:
        env_digest = ws.store.environments.put(capture_environment())
    all_tags = dict(tags or {})
    user = os.environ.get("USER") or os.environ.get("USERNAME")
    if user:
        all_tags.setdefault("user", user)
    record = ws.store.runs.create(
        exp.id,
        name or new_run_name(),
        parent_id=parent_id,
        env_digest=env_digest,
        tags=all_tags,
        params=dict(params or {}),
    )
    run = ActiveRun(ws, record, on_end=_forget)
    _stack.set((*_stack.get(), run))
    with _live_lock:
        _live.add(run)
    _install_hooks()
    return run


def active_run() -> ActiveRun | None:
    """The innermost run started in this thread or task and not yet ended."""
    stack = _stack.get()
    return stack[-1] if stack else None


def _forget(run: ActiveRun) -> None:
    _stack.set(tuple(r for r in _stack.get() if r is not run))
    with _live_lock:
        _live.discard(run)


def _end_all(status: str) -> None:
    with _live_lock:
        runs = sorted(_live, key=lambda r: r.parent_id is None)  # children first
    for run in runs:
        try:
            run.end(status)  # type: ignore[arg-type]
        except Exception as exc:  # the interpreter is going away; say so, do not hide it
            print(f"shipyard: could not end run {run.id[:8]}: {exc}", file=sys.stderr)


def _install_hooks() -> None:
    """End runs left open by scripts that never used ``with``: failed on a crash, else finished."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        _end_all("killed" if issubclass(exc_type, KeyboardInterrupt) else "failed")
        previous(exc_type, exc, tb)

    sys.excepthook = hook
    atexit.register(_end_all, "finished")


def _ws(workspace: Workspace | None) -> Workspace:
    return workspace or current_workspace()


def get_run(run_id: str, *, workspace: Workspace | None = None) -> Run:
    """A stored run by its id or a unique prefix of at least 4 characters."""
    return _ws(workspace).store.runs.get(run_id)


def search_runs(
    filter: str | None = None,
    experiments: list[str] | None = None,
    order_by: list[str] | None = None,
    max_results: int = 100,
    page_token: str | None = None,
    *,
    workspace: Workspace | None = None,
) -> RunPage:
    """Search runs, e.g. ``search_runs("metrics.auc > 0.9 and params.model = 'gbm'",
    order_by=["metrics.auc desc"])``. Pass ``page_token`` from a page to get the next one."""
    ws = _ws(workspace)
    ids = None
    if experiments:
        ids = [ws.store.experiments.get(e).id for e in experiments]
    query = RunQuery(
        experiment_ids=ids,
        filter=filter,
        order_by=list(order_by or []),
        max_results=max_results,
        page_token=page_token,
    )
    return ws.store.runs.search(query)


def metric_history(
    run_id: str, key: str, *, workspace: Workspace | None = None
) -> list[MetricPoint]:
    ws = _ws(workspace)
    return ws.store.run_data.metric_history(ws.store.runs.get(run_id).id, key)


def list_experiments(*, workspace: Workspace | None = None) -> list[Experiment]:
    return _ws(workspace).store.experiments.list()


def delete_run(run_id: str, *, workspace: Workspace | None = None) -> None:
    """Delete a run, its children and every row they own. ``shipyard gc`` then frees their blobs."""
    _ws(workspace).store.runs.delete(run_id)


def delete_experiment(experiment: str | int, *, workspace: Workspace | None = None) -> None:
    """Delete an experiment with all of its runs."""
    ws = _ws(workspace)
    ws.store.experiments.delete(ws.store.experiments.get(experiment).id)


def download_artifacts(
    run_id: str,
    path: str | None = None,
    dst: str | os.PathLike[str] = ".",
    *,
    workspace: Workspace | None = None,
) -> list[Path]:
    ws = _ws(workspace)
    return artifacts.download(ws, ws.store.runs.get(run_id).id, path, dst)
