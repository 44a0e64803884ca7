"""A layered, left-to-right layout for small directed graphs, computed on the server.

Lineage is drawn as inline SVG with no JavaScript library, so the geometry is
worked out here, in the classic layered (Sugiyama) way, scaled down to graphs
of a few dozen nodes:

1. each node gets a column by its longest distance from the root, so every
   edge points away from the root's side; an edge that would close a cycle
   is set aside and drawn as a loop below;
2. an edge spanning several columns gets a waypoint in each column it
   crosses, so it runs between the boxes instead of behind them;
3. the items of a column are ordered by the mean position of their
   neighbours (barycentre sweeps), which removes most crossings;
4. each item is pulled towards the height of its neighbours, keeping the
   order and the spacing, so chains come out straight;
5. ``graph_routing`` draws the edges through their waypoints and finds
   each label a free spot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from shipyard.server.pages.graph_routing import LOOP_DROP, Route, route_edges

Grow = Literal["left", "right"]
SWEEPS = 4
PULLS = 8
WAYPOINT_HEIGHT = 12.0


@dataclass(frozen=True)
class Placed:
    """A node's box: top-left corner, size, and its column (0 is the root's)."""

    key: str
    layer: int
    x: float
    y: float
    w: float
    h: float


@dataclass
class Layout:
    width: float
    height: float
    nodes: dict[str, Placed]
    edges: list[Route]


def layered_layout(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str, str]],
    root: str,
    *,
    grow: Grow,
    widths: Mapping[str, float],
    node_height: float = 46.0,
    column_gap: float = 96.0,
    row_gap: float = 18.0,
    margin: float = 16.0,
) -> Layout:
    """Place ``nodes`` and route ``edges`` (cause, effect, label) around ``root``.

    ``grow`` says on which side of the root the rest of the graph lies:
    ``"left"`` for what a node came from, ``"right"`` for what came of it.
    Causes are always left of their effects. Edges to unknown nodes are dropped.
    """
    keys = list(dict.fromkeys([root, *nodes]))
    known = set(keys)
    kept = [(a, b, rel) for a, b, rel in edges if a in known and b in known and a != b]
    pairs = [(b, a) if grow == "left" else (a, b) for a, b, _ in kept]  # (nearer, farther)
    back = _back_edges(keys, pairs, root)
    layer = _longest_path(keys, [p for p in pairs if p not in back], root)

    # chains: every forward edge as the items it passes through, cause first
    chains: list[list[str]] = []
    links: list[tuple[str, str]] = []
    for index, ((cause, effect, _), pair) in enumerate(zip(kept, pairs, strict=True)):
        chain = [cause]
        if pair not in back:
            step = 1 if layer[effect] > layer[cause] else -1
            for mid in range(layer[cause] + step, layer[effect], step):
                waypoint = f"\0{index}:{mid}"
                layer[waypoint] = mid
                chain.append(waypoint)
            links += list(zip(chain, [*chain[1:], effect], strict=True))
        chains.append([*chain, effect])
    height = {k: (WAYPOINT_HEIGHT if k.startswith("\0") else node_height) for k in layer}
    columns = _order(list(layer), layer, links)

    col_w = [max((widths.get(k, 160.0) for k in col if k in known), default=0.0) for col in columns]
    screen = list(range(len(columns)))
    if grow == "left":
        screen.reverse()
    col_x: dict[int, float] = {}
    x = margin
    for index in screen:
        col_x[index] = x
        x += col_w[index] + column_gap
    top = _heights(columns, links, height, row_gap)
    lowest = min(top.values())
    placed: dict[str, Placed] = {}
    for index, col in enumerate(columns):
        for key in col:
            w = widths.get(key, 160.0) if key in known else col_w[index]
            x0 = col_x[index] + (col_w[index] - w) / 2
            placed[key] = Placed(key, index, x0, top[key] - lowest + margin, w, height[key])
    bottom = max(p.y + p.h for p in placed.values()) + margin + (LOOP_DROP if back else 0.0)
    boxes = {k: v for k, v in placed.items() if k in known}
    routes = route_edges(
        [[placed[k] for k in chain] for chain in chains],
        [rel for _, _, rel in kept],
        [pair in back for pair in pairs],
        list(boxes.values()),
    )
    return Layout(width=x - column_gap + margin, height=bottom, nodes=boxes, edges=routes)


def _back_edges(keys: list[str], pairs: list[tuple[str, str]], root: str) -> set[tuple[str, str]]:
    """Edges that point back up a depth-first walk from the root: the ones closing cycles."""
    out: dict[str, list[str]] = {k: [] for k in keys}
    for near, far in pairs:
        out[near].append(far)
    state: dict[str, int] = {}  # 1 while on the walk's stack, 2 when finished
    back: set[tuple[str, str]] = set()
    for start in keys:  # the root first, then anything it does not reach
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(out[start]))]
        while stack:
            node, rest = stack[-1]
            nxt = next(rest, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(out[nxt])))
    return back


def _longest_path(keys: list[str], pairs: list[tuple[str, str]], root: str) -> dict[str, int]:
    """Each node's column: the longest distance from the root over acyclic ``pairs``."""
    indegree = dict.fromkeys(keys, 0)
    out: dict[str, list[str]] = {k: [] for k in keys}
    for near, far in pairs:
        out[near].append(far)
        indegree[far] += 1
    layer = dict.fromkeys(keys, 0)
    ready = [k for k in keys if indegree[k] == 0]
    while ready:
        node = ready.pop(0)
        for far in out[node]:
            layer[far] = max(layer[far], layer[node] + 1)
            indegree[far] -= 1
            if indegree[far] == 0:
                ready.append(far)
    layer[root] = 0
    return layer


def _neighbours(keys: list[str], links: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {k: [] for k in keys}
    for a, b in links:
        found[a].append(b)
        found[b].append(a)
    return found


def _order(keys: list[str], layer: dict[str, int], links: list[tuple[str, str]]) -> list[list[str]]:
    """The items of each column, ordered by barycentre sweeps to cut crossings."""
    columns: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for key in keys:
        columns[layer[key]].append(key)
    neighbours = _neighbours(keys, links)

    def sweep(index: int, other: int) -> None:
        pos = {k: i for i, k in enumerate(columns[other])}

        def centre(item: tuple[int, str]) -> float:
            i, key = item
            near = [pos[n] for n in neighbours[key] if n in pos]
            return sum(near) / len(near) if near else float(i)

        columns[index] = [key for _, key in sorted(enumerate(columns[index]), key=centre)]

    for _ in range(SWEEPS):
        for index in range(1, len(columns)):
            sweep(index, index - 1)
        for index in range(len(columns) - 2, 0, -1):
            sweep(index, index + 1)
    return columns


def _heights(
    columns: list[list[str]], links: list[tuple[str, str]], height: dict[str, float], gap: float
) -> dict[str, float]:
    """Tops of every item: stacked in column order, then pulled level with their neighbours."""
    neighbours = _neighbours([k for col in columns for k in col], links)
    top: dict[str, float] = {}
    tallest = max(sum(height[k] + gap for k in col) for col in columns)
    for col in columns:
        y = (tallest - sum(height[k] + gap for k in col)) / 2
        for key in col:
            top[key] = y
            y += height[key] + gap
    for _ in range(PULLS):
        for col in columns:
            wanted = []
            for key in col:
                near = [top[n] + height[n] / 2 for n in neighbours[key]]
                centre = sum(near) / len(near) if near else top[key] + height[key] / 2
                wanted.append(centre - height[key] / 2)
            placed = list(wanted)
            for i in range(1, len(col)):  # keep the order and the spacing
                placed[i] = max(placed[i], placed[i - 1] + height[col[i - 1]] + gap)
            shift = sum(w - p for w, p in zip(wanted, placed, strict=True)) / len(col)
            for key, y in zip(col, placed, strict=True):
                top[key] = y + shift
    return top
