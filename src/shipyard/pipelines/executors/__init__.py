"""Executors by name, as lazy ``module:Class`` strings.

``local`` (the default) forks one process per step attempt; ``ray`` runs each
attempt as a Ray task on a local instance or a cluster; ``inline`` runs
attempts one at a time inside the calling process (for debuggers and tests).
Third parties add executors through the ``shipyard.executors`` entry-point
group; the class is built as ``cls(workspace, address)``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import cast

from shipyard.core.errors import InvalidInput
from shipyard.pipelines.executors.protocol import Executor
from shipyard.workspace import Workspace

ENTRY_POINT_GROUP = "shipyard.executors"

EXECUTORS: dict[str, str] = {
    "local": "shipyard.pipelines.executors.local:LocalExecutor",
    "ray": "shipyard.pipelines.executors.ray:RayExecutor",
    "inline": "shipyard.pipelines.executors.inline:InlineExecutor",
}

__all__ = ["EXECUTORS", "Executor", "known_executors", "open_executor"]


def known_executors() -> dict[str, str]:
    """Every executor name → its ``module:Class``; a built-in name cannot be taken over."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**found, **EXECUTORS}


def open_executor(name: str, ws: Workspace, address: str | None = None) -> Executor:
    """The executor registered as ``name``, ready to take attempts."""
    known = known_executors()
    target = known.get(name)
    if target is None:
        raise InvalidInput(
            f"unknown executor {name!r}; known: {', '.join(sorted(known))}. A third-party "
            f"executor comes from a package with a {ENTRY_POINT_GROUP!r} entry point."
        )
    if address and name in ("local", "inline"):
        raise InvalidInput(f"a Ray address only applies to executor='ray', not {name!r}")
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cast(Executor, cls(ws, address))
