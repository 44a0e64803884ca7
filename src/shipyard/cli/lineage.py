"""``shipyard lineage``: where a version came from, or what was made from it."""

from __future__ import annotations

import typer
from rich.tree import Tree

from shipyard.cli import output


def register(app: typer.Typer) -> None:
    app.command("lineage")(lineage)


def lineage(
    ref: str = typer.Argument(..., help="e.g. model:churn@production"),
    up: bool = typer.Option(False, "--up", help="Sources: what it was made from (default)."),
    down: bool = typer.Option(False, "--down", help="Consumers: what was made from it."),
    depth: int = typer.Option(10, "--depth", help="How many steps to follow."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print the lineage graph: dataset version → run → model version → …"""
    from shipyard.assets.lineage import lineage_graph
    from shipyard.core.errors import InvalidInput

    if up and down:
        raise InvalidInput("choose --up or --down, not both")
    graph = lineage_graph(ref, "down" if down else "up", depth)
    if as_json:
        output.print_json(graph.to_dict())
        return
    tree = Tree(f"[bold]{graph.root}[/]")
    _grow(tree, graph, graph.root, {graph.root})
    output.out.print(tree)


def _grow(branch: Tree, graph, node: str, seen: set[str]) -> None:  # type: ignore[no-untyped-def]
    for child, relation in graph.children(node):
        label = child if not child.startswith("run:") else f"run {child[4:12]}"
        sub = branch.add(f"[dim]{relation}[/] {label}")
        if child not in seen:
            _grow(sub, graph, child, seen | {child})
