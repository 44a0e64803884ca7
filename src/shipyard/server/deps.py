"""Request dependencies shared by the routers."""

from __future__ import annotations

from fastapi import Request

from shipyard.workspace import Workspace


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws
