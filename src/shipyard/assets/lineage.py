"""Walking lineage: what a version came from (``up``) or what came of it (``down``)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from shipyard.store.asset_records import LineageEdge
from shipyard.workspace import Workspace, current_workspace

Direction = Literal["up", "down"]


@dataclass
class LineageGraph:
    root: str
    direction: Direction
    nodes: list[str] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, relation)

    def children(self, node: str) -> list[tuple[str, str]]:
        """Neighbours one step further from the root, with the relation."""
        if self.direction == "down":
            return [(b, rel) for a, b, rel in self.edges if a == node]
        return [(a, rel) for a, b, rel in self.edges if b == node]

    def to_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "direction": self.direction,
            "nodes": list(self.nodes),
            "edges": [{"from": a, "to": b, "relation": r} for a, b, r in self.edges],
        }


def lineage_graph(
    ref: str,
    direction: Direction = "up",
    depth: int = 10,
    *,
    max_nodes: int = 500,
    workspace: Workspace | None = None,
) -> LineageGraph:
    """Breadth-first over lineage edges, up to ``depth`` steps and ``max_nodes`` nodes.

    Edges point from cause to effect. The node cap keeps a version with a
    huge fan-out (a dataset read by thousands of runs) cheap to show.
    """
    ws = workspace or current_workspace()
    root = ws.store.assets.resolve(ref).ref
    graph = LineageGraph(root=root, direction=direction, nodes=[root])
    seen = {root}
    queue: deque[tuple[str, int]] = deque([(root, 0)])
    while queue:
        node, level = queue.popleft()
        if level >= depth:
            continue
        if node.startswith("run:"):
            edges = ws.store.lineage.edges(runs=[node[4:]])
        else:
            edges = ws.store.lineage.edges(versions=[node])
        for src, dst, rel in _steps(edges, node, direction):
            nxt = src if direction == "up" else dst
            if nxt not in seen and len(graph.nodes) >= max_nodes:
                continue
            edge = (src, dst, rel)
            if edge not in graph.edges:
                graph.edges.append(edge)
            if nxt not in seen:
                seen.add(nxt)
                graph.nodes.append(nxt)
                queue.append((nxt, level + 1))
    return graph


def _steps(edges: list[LineageEdge], node: str, direction: Direction) -> list[tuple[str, str, str]]:
    """The edges through ``node`` in the asked direction, as (cause, effect, relation)."""
    out: list[tuple[str, str, str]] = []
    for e in edges:
        run = f"run:{e.run_id}" if e.run_id else None
        if e.relation == "consumed" and run:
            cause, effect = e.version, run
        elif e.relation == "produced" and run:
            cause, effect = run, e.version
        elif e.relation == "derived_from" and e.source:
            cause, effect = e.source, e.version
        else:
            continue
        if (direction == "up" and effect == node) or (direction == "down" and cause == node):
            out.append((cause, effect, e.relation))
    return out
