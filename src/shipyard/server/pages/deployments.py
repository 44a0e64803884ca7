"""``/ui/deployments``: the model servers registered in this workspace and what they serve.

It reads ``serving.deployments.list_deployments`` (what ``shipyard deployments
list`` prints): running servers first, with the version each route serves now
and the traffic split; servers that stopped or went silent below them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request, Response

from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.serving.deployments import Deployment, list_deployments

router = page_router()


@dataclass(frozen=True)
class Route:
    """One route of a deployment: its label (an alias), the version it serves, its share."""

    label: str
    version: int | None
    href: str | None
    percent: float
    shadow: bool


@router.get("/ui/deployments")
def deployments_page(request: Request, ws: WorkspaceDep, stopped: bool = True) -> Response:
    found = list_deployments(ws, include_stopped=stopped)
    live = [d for d in found if d.status == "running"]
    rest = [d for d in found if d.status != "running"]
    return render(
        request,
        "deployments.html",
        {
            "title": "Deployments",
            "live": [(d, routes(d)) for d in live],
            "rest": [(d, routes(d)) for d in rest],
            "show_stopped": stopped,
        },
    )


def routes(d: Deployment) -> list[Route]:
    """The routes of ``d`` in the order of the split, the shadow last."""
    labels = list(d.split) or list(d.versions)
    if d.shadow and d.shadow not in labels:
        labels.append(d.shadow)
    total = sum(d.split.values()) or 1.0
    out = []
    for label in labels:
        version = d.versions.get(label)
        href = None
        if version is not None and d.model:
            href = f"/ui/assets/model/{quote(d.model, safe='')}/{version}"
        share = 0.0 if label == d.shadow else 100.0 * d.split.get(label, 0.0) / total
        if not d.split and label != d.shadow:
            share = 100.0
        out.append(Route(label, version, href, round(share, 1), label == d.shadow))
    return out
