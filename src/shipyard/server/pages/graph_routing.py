"""The edges of a laid-out graph: where they meet the boxes, their curves, where labels go.

An edge is a chain of placed items: its cause, a waypoint in each column it
crosses, its effect. It leaves the right side of the cause and enters the
left side of the effect, with the ends of several edges on one side spread
apart so their arrows stay distinct; it curves across the gaps between
columns and runs straight through a column at its waypoint. An edge closing
a cycle loops below, from the bottom of one box to the bottom of the other.
Each label takes the first free spot along its edge, nearest the effect
first, and is left out rather than drawn over another label or a box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipyard.server.pages.graph_layout import Placed

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, top, right, bottom
LOOP_DROP = 56.0
PORT_SPACING = 8.0
LABEL_CHAR = 6.0  # average width of a character of the 10.5px label
LABEL_RISE = 4.0  # the label sits this far above its line
SPOTS = (0.5, 0.3, 0.7)


@dataclass(frozen=True)
class Route:
    """An edge as an SVG path ``d``; its label at ``label_x, label_y``, or left out if ``None``."""

    source: str
    target: str
    label: str
    path: str
    label_x: float | None
    label_y: float | None
    backwards: bool


def route_edges(
    chains: Sequence[Sequence[Placed]],
    labels: Sequence[str],
    backwards: Sequence[bool],
    boxes: Sequence[Placed],
) -> list[Route]:
    """One ``Route`` per chain, labels kept clear of ``boxes`` and of each other."""
    ports = _ports(chains, backwards)
    taken: list[Box] = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in boxes]
    routes = []
    for i, chain in enumerate(chains):
        if backwards[i]:
            path, spots = _loop(chain[0], chain[-1])
        else:
            path, spots = _curve(chain, ports[(i, "out")], ports[(i, "in")])
        spot = _free_spot(spots, labels[i], taken)
        routes.append(
            Route(
                chain[0].key,
                chain[-1].key,
                labels[i],
                path,
                None if spot is None else round(spot[0], 1),
                None if spot is None else round(spot[1], 1),
                backwards[i],
            )
        )
    return routes


def _ports(
    chains: Sequence[Sequence[Placed]], backwards: Sequence[bool]
) -> dict[tuple[int, str], float]:
    """Heights at which edges leave and enter boxes, in the order of where they come from."""
    sides: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for index, chain in enumerate(chains):
        if backwards[index]:
            continue
        after, before = chain[1], chain[-2]
        sides.setdefault((chain[0].key, "out"), []).append((after.y + after.h / 2, index))
        sides.setdefault((chain[-1].key, "in"), []).append((before.y + before.h / 2, index))
    boxes = {c.key: c for chain in chains for c in (chain[0], chain[-1])}
    ports: dict[tuple[int, str], float] = {}
    for (key, side), items in sides.items():
        box = boxes[key]
        spacing = min(PORT_SPACING, (box.h - 16) / max(len(items) - 1, 1))
        for rank, (_, index) in enumerate(sorted(items)):
            ports[(index, side)] = box.y + box.h / 2 + (rank - (len(items) - 1) / 2) * spacing
    return ports


def _curve(chain: Sequence[Placed], start_y: float, end_y: float) -> tuple[str, list[Point]]:
    """Curves across gaps, straight lines through columns; label spots, last gap first."""
    points: list[Point] = [(chain[0].x + chain[0].w, start_y)]
    for way in chain[1:-1]:
        middle = way.y + way.h / 2
        points += [(way.x, middle), (way.x + way.w, middle)]
    points.append((chain[-1].x, end_y))
    parts = [f"M{_pt(points[0])}"]
    gaps = []
    for i in range(len(points) - 1):
        p, q = points[i], points[i + 1]
        if i % 2:  # through a column, level with its waypoint
            parts.append(f"L{_pt(q)}")
            continue
        bend = max(30.0, (q[0] - p[0]) / 2)
        c1, c2 = (p[0] + bend, p[1]), (q[0] - bend, q[1])
        parts.append(f"C{_pt(c1)} {_pt(c2)} {_pt(q)}")
        gaps.append((p, c1, c2, q))
    spots = [_bezier(*gap, t) for gap in reversed(gaps) for t in SPOTS]
    return " ".join(parts), spots


def _loop(cause: Placed, effect: Placed) -> tuple[str, list[Point]]:
    start = (cause.x + cause.w / 2, cause.y + cause.h)
    end = (effect.x + effect.w / 2, effect.y + effect.h)
    low = max(start[1], end[1]) + LOOP_DROP
    c1, c2 = (start[0], low), (end[0], low)
    path = f"M{_pt(start)} C{_pt(c1)} {_pt(c2)} {_pt(end)}"
    return path, [_bezier(start, c1, c2, end, t) for t in SPOTS]


def _free_spot(spots: list[Point], label: str, taken: list[Box]) -> Point | None:
    """The first spot where ``label`` overlaps nothing already drawn; it is then taken."""
    half = (len(label) * LABEL_CHAR + 6) / 2
    for x, y in spots:
        box = (x - half, y - LABEL_RISE - 11, x + half, y - LABEL_RISE + 3)
        if not any(_overlap(box, other) for other in taken):
            taken.append(box)
            return x, y
    return None


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _pt(point: Point) -> str:
    return f"{point[0]:.1f},{point[1]:.1f}"


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    u = 1 - t
    a, b, c, d = u**3, 3 * u * u * t, 3 * u * t * t, t**3
    return (
        a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
    )
