"""``shipyard runs``: list, search, show, download and delete runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shipyard.cli import output
from shipyard.store.records import Run, RunPage
from shipyard.tracking import api

app = typer.Typer(
    help="Runs: one execution each, with params, metrics and artifacts.", no_args_is_help=True
)

_EXPERIMENT = typer.Option(None, "--experiment", "-e", help="Only this experiment (repeatable).")
_JSON = typer.Option(False, "--json", help="Print JSON.")


def _print_page(page: RunPage, as_json: bool) -> None:
    if as_json:
        output.print_json(page.to_dict())
        return
    metric_keys = sorted({k for r in page.runs for k in r.metrics})[:5]
    rows = [
        (
            r.id[:8],
            r.name,
            r.experiment,
            r.status,
            output.when(r.start_time),
            output.duration(r.duration_ms),
            *(r.metrics.get(k) for k in metric_keys),
        )
        for r in page.runs
    ]
    output.table(
        None, ["id", "name", "experiment", "status", "started", "duration", *metric_keys], rows
    )
    if page.next_page_token:
        output.err.print(f"more results: --page-token {page.next_page_token}")


@app.command("list")
def list_(
    experiment: list[str] = _EXPERIMENT,
    limit: int = typer.Option(20, "--limit", "-n", help="How many runs."),
    as_json: bool = _JSON,
) -> None:
    """The most recent runs."""
    _print_page(api.search_runs(experiments=experiment or None, max_results=limit), as_json)


@app.command("search")
def search(
    filter: str = typer.Argument("", help="e.g. \"metrics.auc > 0.9 and params.model = 'gbm'\""),
    experiment: list[str] = _EXPERIMENT,
    order_by: list[str] = typer.Option(
        None, "--order-by", "-o", help="e.g. 'metrics.auc desc' (repeatable)."
    ),
    limit: int = typer.Option(100, "--limit", "-n", help="Results per page."),
    page_token: str = typer.Option(
        None, "--page-token", help="Token printed by the previous page."
    ),
    as_json: bool = _JSON,
) -> None:
    """Search runs with the filter language (see docs/tracking.md)."""
    page = api.search_runs(
        filter=filter or None,
        experiments=experiment or None,
        order_by=order_by or None,
        max_results=limit,
        page_token=page_token,
    )
    _print_page(page, as_json)


@app.command("show")
def show(
    run_id: str = typer.Argument(..., help="Run id or a unique prefix."), as_json: bool = _JSON
) -> None:
    """Everything about one run."""
    from shipyard.workspace import current_workspace

    ws = current_workspace()
    run = ws.store.runs.get(run_id)
    arts = ws.store.artifacts.list(run.id)
    env = ws.store.environments.get(run.env_digest) if run.env_digest else None
    if as_json:
        data: dict[str, Any] = run.to_dict()
        data["artifacts"] = [a.to_dict() for a in arts]
        data["environment"] = env
        output.print_json(data)
        return
    _print_run(run)
    if run.params:
        output.table("params", ["key", "value"], sorted(run.params.items()))
    if run.metrics:
        output.table("metrics (latest)", ["key", "value"], sorted(run.metrics.items()))
    if run.tags:
        output.table("tags", ["key", "value"], sorted(run.tags.items()))
    if arts:
        output.table(
            "artifacts", ["path", "size"], [(a.path, output.filesize(a.size)) for a in arts]
        )
    if env:
        git = env.get("git") or {}
        output.table(
            "environment",
            ["key", "value"],
            [
                ("python", env.get("python")),
                ("platform", env.get("platform")),
                ("command", " ".join(env.get("command") or [])),
                ("git commit", f"{git.get('commit', '–')}{' (dirty)' if git.get('dirty') else ''}"),
                ("packages", len(env.get("packages") or {})),
            ],
        )


def _print_run(run: Run) -> None:
    output.table(
        f"run {run.name}",
        ["field", "value"],
        [
            ("id", run.id),
            ("experiment", run.experiment),
            ("status", run.status),
            ("parent", run.parent_id),
            ("started", output.when(run.start_time)),
            ("ended", output.when(run.end_time)),
            ("duration", output.duration(run.duration_ms)),
        ],
    )


@app.command("download")
def download(
    run_id: str = typer.Argument(..., help="Run id or a unique prefix."),
    path: str = typer.Option(
        None, "--path", "-p", help="One artifact file or folder (default: all)."
    ),
    dst: Path = typer.Option(Path("."), "--dst", "-d", help="Folder to write into."),
) -> None:
    """Download a run's artifacts."""
    written = api.download_artifacts(run_id, path, dst)
    for f in written:
        output.out.print(str(f))


@app.command("delete")
def delete(
    run_ids: list[str] = typer.Argument(..., help="Run ids or unique prefixes."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete runs with their children, metrics, params, tags and artifact records.

    The files themselves are freed by `shipyard gc`.
    """
    found = [api.get_run(r) for r in run_ids]
    if not yes:
        names = ", ".join(f"{r.name} ({r.id[:8]})" for r in found)
        typer.confirm(f"Delete {names}?", abort=True)
    for run in found:
        api.delete_run(run.id)
        output.err.print(f"deleted run {run.name} ({run.id[:8]})")
