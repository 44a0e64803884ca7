"""The server-rendered web UI: Jinja templates, plain CSS and plotly.js, no build step.

Layout of this package:

- ``nav``: the sidebar links (``NAV``), grouped by area.
- ``render``: the Jinja environment; every page renders through ``render()``.
- ``routing``: ``page_router()``; its routes turn errors into HTML pages and
  a missing token into a redirect to ``/ui/login``.
- one module per area (``experiments``, ``runs``, ``compare``, ``login``,
  ``assets``, ``pipelines``, ``deployments``, ``evals`` (with ``eval_compare``),
  and for the LLM gateway ``playground``, ``traces``, ``usage``, ``llm_keys``),
  each with a ``router``; ``static`` serves ``/static/``;
  ``lineage``, ``graph_layout`` and ``graph_routing`` draw lineage as SVG.

A later area (pipelines, deployments, the gateway, …) adds a module with a
``router``, lists it in ``AREAS`` and appends its links to ``NAV``.
"""

from __future__ import annotations

from fastapi import FastAPI

from shipyard.server.pages import (
    assets,
    compare,
    deployments,
    evals,
    experiments,
    llm_keys,
    login,
    pipelines,
    playground,
    runs,
    static,
    traces,
    usage,
)
from shipyard.server.pages.nav import NAV, NavLink

__all__ = ["AREAS", "NAV", "NavLink", "mount"]

AREAS = (
    login,
    experiments,
    runs,
    compare,
    evals,
    assets,
    pipelines,
    deployments,
    playground,
    traces,
    usage,
    llm_keys,
)


def mount(app: FastAPI) -> None:
    """Add the UI pages under ``/ui/`` and the static files under ``/static/`` to ``app``."""
    static.mount(app)
    for area in AREAS:
        app.include_router(area.router)
