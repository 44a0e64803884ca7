"""The lineage graphs of a version page: what it came from and what came of it.

``lineage_view`` walks the registry's lineage (``assets.lineage``), labels
each node (a version by its reference, a run by ``run <8 hex>`` and its
name), sizes it to its label and lays the graph out with ``graph_layout``.
The template draws the result as inline SVG; every label goes through Jinja's
autoescaping there, so a hostile run name cannot inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from shipyard.assets.lineage import lineage_graph
from shipyard.core.errors import NotFound, ShipyardError
from shipyard.core.refs import parse_ref
from shipyard.server.pages.formatting import when
from shipyard.server.pages.graph_layout import layered_layout
from shipyard.workspace import Workspace

Direction = Literal["up", "down"]
DEPTH = 10
MAX_NODES = 60
NODE_HEIGHT = 46.0
LABEL_CHAR = 7.3  # width of one character of the 12px monospace label
DETAIL_CHAR = 6.2  # average width of one character of the 11px detail line
MIN_WIDTH, MAX_WIDTH, PAD = 150.0, 300.0, 16.0
RELATIONS = {"consumed": "consumed", "produced": "produced", "derived_from": "derived from"}


@dataclass(frozen=True)
class GraphNode:
    key: str
    label: str
    detail: str
    title: str
    href: str
    kind: str  # "run" or the asset kind
    root: bool
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class GraphEdge:
    relation: str
    label: str
    path: str
    label_x: float | None  # None: no free spot, the colour and the list below still say it
    label_y: float | None
    backwards: bool
    source: str
    target: str


@dataclass
class LineageView:
    """One drawn graph; ``hidden`` counts the nodes left out to keep it readable."""

    dom_id: str
    direction: Direction
    root: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: float
    height: float
    hidden: int

    @property
    def empty(self) -> bool:
        return len(self.nodes) <= 1


def node_href(key: str) -> str:
    """The page of a node: ``run:<id>`` → the run page, ``kind:name@v`` → the version page."""
    if key.startswith("run:"):
        return f"/ui/runs/{quote(key[4:], safe='')}"
    ref = parse_ref(key)
    return asset_url(ref.kind, ref.name, ref.selector)


def asset_url(kind: str, name: str, selector: str | int | None = None) -> str:
    base = f"/ui/assets/{quote(kind, safe='')}/{quote(name, safe='')}"
    return base if selector is None else f"{base}/{quote(str(selector), safe='')}"


def lineage_view(
    ws: Workspace, ref: str, direction: Direction, *, depth: int = DEPTH, limit: int = MAX_NODES
) -> LineageView:
    """The graph ``direction`` of ``ref``, nearest ``limit`` nodes at most."""
    graph = lineage_graph(ref, direction, depth, max_nodes=limit, workspace=ws)
    keys = graph.nodes  # breadth-first order: the nearest nodes were kept
    shown = set(keys)
    edges = [(a, b, r) for a, b, r in graph.edges if a in shown and b in shown]
    labels = {key: _label(ws, key) for key in keys}
    widths = {key: _width(*labels[key][:2]) for key in keys}
    layout = layered_layout(
        keys,
        edges,
        graph.root,
        grow="left" if direction == "up" else "right",
        widths=widths,
        node_height=NODE_HEIGHT,
    )
    nodes = []
    for key in keys:
        box = layout.nodes[key]
        label, detail, kind = labels[key]
        chars = int((box.w - PAD) // LABEL_CHAR)
        nodes.append(
            GraphNode(
                key=key,
                label=_fit(label, chars),
                detail=_fit(detail, int((box.w - PAD) // DETAIL_CHAR)),
                title=f"{label} · {detail}" if detail else label,
                href=node_href(key),
                kind=kind,
                root=key == graph.root,
                x=box.x,
                y=box.y,
                w=box.w,
                h=box.h,
            )
        )
    drawn = [
        GraphEdge(
            relation=route.label,
            label=RELATIONS.get(route.label, route.label),
            path=route.path,
            label_x=route.label_x,
            label_y=route.label_y,
            backwards=route.backwards,
            source=route.source,
            target=route.target,
        )
        for route in layout.edges
    ]
    return LineageView(
        dom_id=f"lineage-{direction}",
        direction=direction,
        root=graph.root,
        nodes=nodes,
        edges=drawn,
        width=round(layout.width, 1),
        height=round(layout.height, 1),
        hidden=len(graph.nodes) - len(keys),
    )


def _label(ws: Workspace, key: str) -> tuple[str, str, str]:
    """(label, detail line, kind) of a node; a vanished run or version keeps its key."""
    if key.startswith("run:"):
        run_id = key[4:]
        try:
            run = ws.store.runs.get(run_id)
        except NotFound:
            return f"run {run_id[:8]}", "deleted", "run"
        return f"run {run_id[:8]}", f"{run.name} · {run.status}", "run"
    kind = key.partition(":")[0]
    try:
        version = ws.store.assets.resolve(key)
    except ShipyardError:
        return key, "", kind
    detail = ", ".join(version.aliases) if version.aliases else when(version.created_at)[:16]
    return key, detail, kind


def _width(label: str, detail: str) -> float:
    wanted = max(len(label) * LABEL_CHAR, len(detail) * DETAIL_CHAR) + PAD * 1.5
    return float(min(max(wanted, MIN_WIDTH), MAX_WIDTH))


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"
