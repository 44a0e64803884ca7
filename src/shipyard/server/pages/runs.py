"""``/ui/runs`` (all runs), ``/ui/runs/{id}`` (one run) and its artifact downloads."""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response

from shipyard.core.errors import NotFound
from shipyard.server.api.blobs import stream_blob
from shipyard.server.pages import charts
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.server.pages.table import build_runs_table
from shipyard.store.records import Run, RunQuery
from shipyard.store.validation import check_artifact_path
from shipyard.workspace import Workspace

router = page_router()
MAX_CHILDREN = 200


@router.get("/ui/runs")
def runs_page(
    request: Request,
    ws: WorkspaceDep,
    filter: str | None = None,
    order: str | None = None,
    page_token: str | None = None,
    limit: int | None = None,
) -> Response:
    """Runs of every experiment in one table."""
    table = build_runs_table(
        ws,
        request.url.path,
        experiment_ids=None,
        filter=filter,
        order=order,
        page_token=page_token,
        limit=limit,
    )
    return render(
        request,
        "runs.html",
        {"title": "Runs", "table": table},
        status=400 if table.error else 200,
    )


@router.get("/ui/runs/{run_id}")
def run_page(request: Request, run_id: str, ws: WorkspaceDep) -> Response:
    run = ws.store.runs.get(run_id)
    return render(request, "run.html", {"title": run.name, **run_context(ws, run)})


@router.get("/ui/runs/{run_id}/artifacts/{path:path}")
def download_artifact(run_id: str, path: str, ws: WorkspaceDep) -> Response:
    wanted = check_artifact_path(path)
    run = ws.store.runs.get(run_id)
    for entry in ws.store.artifacts.list(run.id):
        if entry.path == wanted:
            return stream_blob(ws, entry.digest, filename=wanted.rsplit("/", 1)[-1])
    raise NotFound(f"run {run.name!r} ({run.id[:8]}) has no artifact {path!r}")


def artifact_url(run: Run, path: str) -> str:
    return f"/ui/runs/{run.id}/artifacts/{quote(path, safe='/')}"


def run_context(ws: Workspace, run: Run) -> dict[str, Any]:
    """Everything ``run.html`` shows: relatives, metric charts, environment, artifacts."""
    parent = None
    if run.parent_id:
        try:
            parent = ws.store.runs.get(run.parent_id)
        except NotFound:
            parent = None  # deleted since; the id alone still says where it came from
    children = ws.store.runs.search(
        RunQuery(parent_id=run.id, max_results=MAX_CHILDREN, order_by=["attributes.start_time"])
    )
    metric_rows, chart_data = [], []
    for key in sorted(run.metrics):
        history = ws.store.run_data.metric_history(run.id, key)
        metric_rows.append((key, charts.stats(history)))
        if history:
            chart_data.append(charts.chart(key, [charts.trace(key, history, charts.PALETTE[0])]))
    artifacts = [(a, artifact_url(run, a.path)) for a in ws.store.artifacts.list(run.id)]
    return {
        "run": run,
        "parent": parent,
        "children": children.runs,
        "more_children": children.next_page_token is not None,
        "metric_rows": metric_rows,
        "charts": chart_data,
        "environment": environment(ws, run.env_digest),
        "artifacts": artifacts,
        "artifacts_size": sum(a.size for a, _ in artifacts),
    }


def environment(ws: Workspace, digest: str | None) -> dict[str, Any] | None:
    """The captured environment, flattened for the template; ``None`` if none was stored."""
    if not digest:
        return None
    try:
        env = ws.store.environments.get(digest)
    except NotFound:
        return None
    command = env.get("command")
    raw_git = env.get("git")
    git = None
    if isinstance(raw_git, dict):
        git = {k: raw_git.get(k) for k in ("commit", "branch", "dirty", "remote")}
    packages = env.get("packages") if isinstance(env.get("packages"), dict) else {}
    return {
        "digest": digest,
        "python": env.get("python"),
        "implementation": env.get("implementation"),
        "platform": env.get("platform"),
        "machine": env.get("machine"),
        "executable": env.get("executable"),
        "cwd": env.get("cwd"),
        "command": shlex.join(str(c) for c in command) if isinstance(command, list) else command,
        "git": git,
        "packages": sorted((str(k), str(v)) for k, v in (packages or {}).items()),
    }
