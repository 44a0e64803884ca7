"""``/ui/`` (every experiment) and ``/ui/experiments/{ref}`` (its runs table)."""

from __future__ import annotations

from fastapi import Request, Response

from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.server.pages.table import build_runs_table

router = page_router()


@router.get("/ui/")
def experiments_page(request: Request, ws: WorkspaceDep) -> Response:
    experiments = ws.store.experiments.list()
    return render(
        request,
        "experiments.html",
        {
            "title": "Experiments",
            "experiments": experiments,
            "total_runs": sum(e.run_count or 0 for e in experiments),
        },
    )


@router.get("/ui/experiments/{ref}")
def experiment_page(
    request: Request,
    ws: WorkspaceDep,
    ref: str,
    filter: str | None = None,
    order: str | None = None,
    page_token: str | None = None,
    limit: int | None = None,
) -> Response:
    """An experiment's runs: ``ref`` is its id or its name."""
    experiment = ws.store.experiments.get(ref)
    experiment = next((e for e in ws.store.experiments.list() if e.id == experiment.id), experiment)
    table = build_runs_table(
        ws,
        request.url.path,
        experiment_ids=[experiment.id],
        filter=filter,
        order=order,
        page_token=page_token,
        limit=limit,
    )
    return render(
        request,
        "experiment.html",
        {"title": experiment.name, "experiment": experiment, "table": table},
        status=400 if table.error else 200,
    )
