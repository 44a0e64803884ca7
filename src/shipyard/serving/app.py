"""The model server app: ``create_model_app(config)`` builds it, uvicorn serves it.

Endpoints:

- ``POST /predict`` (and ``/invocations``, MLflow's name): predictions, see ``predict_endpoint``.
- ``GET /health`` (and ``/ping``): 200 once a model is loaded, 503 while loading.
- ``GET /metadata``: model, versions, aliases, digests, flavor, signature, split, shadow.
- ``GET /metrics``: Prometheus text format.

On startup the server starts its prediction log writer, follows its aliases,
and registers in the deployments registry; on shutdown it drains its batches,
flushes the log and marks itself stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException

from shipyard.core.errors import ShipyardError, StoreError
from shipyard.serving.config import ServeConfig
from shipyard.serving.deployments import DeploymentBeacon, server_url
from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.model_pool import ModelPool
from shipyard.serving.notices import RateLimitedWarnings
from shipyard.serving.predict_endpoint import PredictEndpoint
from shipyard.serving.prediction_log import PredictionLogger
from shipyard.serving.source import ModelSource, parse_source
from shipyard.workspace import Workspace, current_workspace

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ModelServer:
    """The parts of one model server, shared by its endpoints and its lifespan."""

    def __init__(self, config: ServeConfig, ws: Workspace | None, source: ModelSource) -> None:
        self.config = config
        self.ws = ws
        self.source = source
        self.name = config.name or source.model
        self.warnings = RateLimitedWarnings()
        self.metrics = ServingMetrics()
        self.pool = ModelPool(source, ws, config, self.metrics, self.warnings)
        self.logger = (
            PredictionLogger(
                ws.store.predictions,
                self.metrics,
                capacity=config.log_queue_size,
                warnings=self.warnings,
            )
            if ws is not None and config.log_predictions
            else None
        )
        self.endpoint = PredictEndpoint(self.pool, self.metrics, self.logger, self.name)
        self.beacon = (
            DeploymentBeacon(
                ws,
                name=self.name,
                url=server_url(config.host, config.port),
                source=source.text,
                model=source.model,
                split=source.split,
                shadow=source.shadow.label if source.shadow else None,
                heartbeat_interval=config.heartbeat_interval,
                details={
                    "max_batch_size": config.max_batch_size,
                    "max_wait_ms": config.max_wait_ms,
                    "reload_interval": config.reload_interval,
                    "log_predictions": self.logger is not None,
                },
            )
            if ws is not None
            else None
        )
        self._changed = asyncio.Event()
        self.pool.on_change = self._changed.set
        self._add_gauges()

    def metadata(self) -> dict[str, Any]:
        routes = []
        for route, weight in (
            *zip(self.source.routes, self.source.weights, strict=True),
            *(((self.source.shadow, None),) if self.source.shadow else ()),
        ):
            served = self.pool.routes.get(route.label)
            entry: dict[str, Any] = {
                "label": route.label,
                "alias": route.alias,
                "ref": None if route.ref is None else str(route.ref),
                "weight": weight,
                "shadow": weight is None,
                "version": None,
            }
            if served is not None:
                entry.update(
                    version=served.version,
                    digest=served.digest,
                    flavor=served.model.flavor,
                    signature=served.model.signature.to_dict(),
                    classes=served.classes,
                )
            routes.append(entry)
        primary = routes[0]
        return {
            "deployment": self.name,
            "deployment_id": None if self.beacon is None else self.beacon.id,
            "source": self.source.text,
            "model": self.source.model,
            "name": self.source.model,
            "version": primary["version"],
            "alias": primary["alias"],
            "digest": primary.get("digest"),
            "flavor": primary.get("flavor"),
            "signature": primary.get("signature"),
            "routes": routes,
            "split": self.source.split,
            "shadow": self.source.shadow.label if self.source.shadow else None,
            "max_batch_size": self.config.max_batch_size,
            "max_wait_ms": self.config.max_wait_ms,
            "reload_interval": self.config.reload_interval,
            "log_predictions": self.logger is not None,
        }

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        self._changed = asyncio.Event()  # bound to the serving loop
        self.pool.on_change = self._changed.set
        if self.logger is not None:
            self.logger.start()
        await self.pool.start()
        await self._heartbeat()  # registered before the first request is served
        beacon = asyncio.get_running_loop().create_task(self._heartbeats())
        try:
            yield
        finally:
            beacon.cancel()
            await asyncio.gather(beacon, return_exceptions=True)
            await self.endpoint.close()
            await self.pool.close()
            if self.logger is not None:
                await asyncio.to_thread(self.logger.close)
            if self.beacon is not None:
                try:
                    await asyncio.to_thread(self.beacon.stop)
                except Exception as exc:
                    self.warnings.warn("deployments", f"cannot mark the deployment stopped: {exc}")

    async def _heartbeats(self) -> None:
        """Heartbeat every interval, and at once when a route moved to another version."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.config.heartbeat_interval)
            self._changed.clear()
            await self._heartbeat()

    async def _heartbeat(self) -> None:
        if self.beacon is None:
            return
        try:
            await asyncio.to_thread(self.beacon.heartbeat, self.pool.versions())
        except Exception as exc:  # the registry is best effort: serving goes on
            message = exc.message if isinstance(exc, ShipyardError) else repr(exc)
            self.warnings.warn("deployments", f"cannot update the deployments registry: {message}")

    def _add_gauges(self) -> None:
        m = self.metrics
        m.add_gauge(
            "shipyard_prediction_log_queue_length",
            "Predictions waiting to be written to the prediction log.",
            (),
            lambda: [((), self.logger.queue_length if self.logger else 0)],
        )
        m.add_gauge(
            "shipyard_model_loaded",
            "1 once every route has a model loaded.",
            (),
            lambda: [((), 1.0 if self.pool.ready else 0.0)],
        )
        m.add_gauge(
            "shipyard_model_info",
            "The version each route serves now (value 1).",
            ("route", "version", "digest"),
            lambda: [
                ((label, s.version_label, s.digest), 1.0) for label, s in self.pool.routes.items()
            ],
        )
        m.add_gauge(
            "shipyard_traffic_weight",
            "Traffic weight (percent) of each live route.",
            ("route",),
            lambda: [((label,), w) for label, w in self.source.split.items()],
        )
        m.add_gauge(
            "shipyard_batch_queue_length",
            "Requests waiting for a predict call, per version.",
            ("version",),
            lambda: [
                ((s.version_label,), float(s.batcher.queued))
                for s in {id(s): s for s in self.pool.routes.values()}.values()
            ],
        )


def create_model_app(
    config: ServeConfig, workspace: Workspace | None = None, *, preload: bool = False
) -> FastAPI:
    """A FastAPI app serving ``config.source``.

    ``workspace`` is where models, the prediction log and the deployments
    registry live (default: the current one). With ``preload`` the models are
    loaded now, so a bad SOURCE fails here rather than after the server is up;
    otherwise they load in the background and ``/health`` answers 503 until then.
    """
    source = parse_source(config)
    ws = workspace
    if ws is None:
        try:
            ws = current_workspace()
        except StoreError:
            if source.folder is None:
                raise
            ws = None  # a packaged model can serve without a store: no log, no registry
    server = ModelServer(config, ws, source)
    if ws is None:
        server.warnings.warn(
            "no-store",
            "no shipyard store could be opened: serving without prediction log or registration",
        )
    if preload:
        server.pool.load_now()
    app = FastAPI(
        title=f"shipyard model server: {server.name}",
        description=f"Serving {source.text}. POST /predict with JSON records or columns.",
        lifespan=server.lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.model_server = server
    app.router.add_route("/predict", server.endpoint.handle, methods=["POST"])
    app.router.add_route("/invocations", server.endpoint.handle, methods=["POST"])

    @app.get("/health")
    @app.get("/ping", include_in_schema=False)
    def health() -> JSONResponse:
        if server.pool.ready:
            return JSONResponse({"status": "ok", "versions": server.pool.versions()})
        body = {"status": "loading", "error": server.pool.load_error}
        return JSONResponse(body, status_code=503)

    @app.get("/metadata")
    def metadata() -> dict[str, Any]:
        return server.metadata()

    @app.get("/metrics")
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(server.metrics.render(), media_type=PROMETHEUS_TYPE)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        type_ = "NotFound" if exc.status_code == 404 else "InvalidInput"
        body = {"error": {"type": type_, "message": str(exc.detail)}}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        body = {"error": {"type": "Failure", "message": f"internal error: {type(exc).__name__}"}}
        return JSONResponse(body, status_code=500)

    return app
