"""The FastAPI application factory: REST API, blob endpoints and the web UI in one app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse

from shipyard.core.version import __version__
from shipyard.server.auth import check_token
from shipyard.server.errors import install_error_handlers
from shipyard.workspace import Workspace

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig


def create_app(
    workspace: Workspace | None = None,
    token: str | None = None,
    gateway: GatewayConfig | None = None,
) -> FastAPI:
    """Build the server app over ``workspace`` (default: the one the settings name).

    With a ``gateway`` config the OpenAI-compatible LLM gateway is mounted at ``/v1``.
    """
    from shipyard.server import pages
    from shipyard.server.api import (
        assets,
        blobs,
        evals,
        experiments,
        keys,
        prompts,
        runs,
        serving,
        traces,
    )

    ws = workspace or Workspace.open()
    app = FastAPI(
        title="shipyard",
        version=__version__,
        description="Tracking, registry and serving for ML models and LLM apps.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.workspace = ws
    app.state.token = token
    install_error_handlers(app)
    secured = [Depends(check_token)]
    app.include_router(experiments.router, prefix="/api/v1", dependencies=secured)
    app.include_router(runs.router, prefix="/api/v1", dependencies=secured)
    app.include_router(blobs.router, prefix="/api/v1", dependencies=secured)
    app.include_router(assets.router, prefix="/api/v1", dependencies=secured)
    app.include_router(serving.router, prefix="/api/v1", dependencies=secured)
    app.include_router(traces.router, prefix="/api/v1", dependencies=secured)
    app.include_router(keys.router, prefix="/api/v1", dependencies=secured)
    app.include_router(prompts.router, prefix="/api/v1", dependencies=secured)
    app.include_router(evals.router, prefix="/api/v1", dependencies=secured)
    pages.mount(app)
    if gateway is not None:  # virtual keys (the auth stage) guard /v1, not the server token
        from shipyard.llm.gateway import Gateway, create_v1_app

        app.state.gateway = Gateway(gateway, ws)
        app.mount("/v1", create_v1_app(app.state.gateway))

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/ui/")

    @app.get("/api/health", tags=["server"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
