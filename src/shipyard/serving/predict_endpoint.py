"""``POST /predict``: read, route, batch, answer, then log and shadow — the hot path.

It is a plain Starlette endpoint (no FastAPI body model, no pydantic): the
body is parsed once with ``json``, checked in plain Python, and the answer is
serialized once. Logging and the shadow copy happen off the request's path.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shipyard.core.errors import Failure, InvalidInput, ShipyardError, UserError
from shipyard.serving.batcher import Job
from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.model_input import ModelInput, decode_body
from shipyard.serving.model_pool import ModelPool
from shipyard.serving.prediction_log import PredictionLogger
from shipyard.serving.served_model import Answer, ServedModel
from shipyard.serving.source import Route
from shipyard.store.serving_records import PredictionRecord

_MAX_SHADOW_IN_FLIGHT = 1000
MAX_BODY_BYTES = 64 * 2**20
# Request ids need to be unique, not secret: os.urandom costs ~100 µs a call on some VMs.
_ids = random.Random()
_TRUE = ("1", "true", "yes", "on")


class PredictEndpoint:
    """The ``/predict`` handler of one server."""

    def __init__(
        self,
        pool: ModelPool,
        metrics: ServingMetrics,
        logger: PredictionLogger | None,
        deployment: str,
    ) -> None:
        self.pool = pool
        self.metrics = metrics
        self.logger = logger
        self.deployment = deployment
        self._shadows: set[asyncio.Task[None]] = set()

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        created = time.time_ns() // 1_000_000
        headers = request.headers
        request_id = headers.get("x-request-id") or f"{_ids.getrandbits(128):032x}"
        if not self.pool.ready:
            self.metrics.requests.inc(("503", "", ""))
            self.metrics.errors.inc(("NotReady",))
            why = f": {self.pool.load_error}" if self.pool.load_error else ""
            return _error(503, "Failure", f"the model is still loading{why}", request_id)
        route, served = self.pool.pick(headers.get("x-shipyard-route-key"))
        labels = (route.label, served.version_label)
        try:
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                raise InvalidInput(
                    f"the request body is {int(length):,} bytes, more than the "
                    f"{MAX_BODY_BYTES // 2**20} MiB a request may carry; send fewer rows per request"
                )
            payload = decode_body(await request.body())
            model_input = served.reader.read(payload)
            proba = request.query_params.get("proba", "").lower() in _TRUE
            if proba and not served.model.has_proba:
                raise InvalidInput(
                    f"this {served.model.flavor} model has no class probabilities; "
                    "leave out ?proba=true"
                )
            answer: Answer = await served.batcher.submit(Job(model_input, proba))
        except Exception as exc:
            return self._failed(exc, labels, started, request_id)
        elapsed = time.perf_counter() - started
        body: dict[str, Any] = {
            "predictions": answer.predictions,
            "model": {"name": served.name, "version": served.version, "alias": route.alias},
            "request_id": request_id,
        }
        if answer.probabilities is not None:
            body["probabilities"] = answer.probabilities
            body["classes"] = served.classes
        self.metrics.requests.inc(("200", *labels))
        self.metrics.latency.observe(elapsed, labels)
        self.metrics.rows.inc(labels, model_input.rows)
        if self.logger is not None:
            self.logger.log(
                self._record(request_id, route, served, model_input, answer, elapsed, created)
            )
        shadow = self.pool.shadow()
        if shadow is not None:
            self._send_shadow(shadow, payload, request_id)
        return Response(
            json.dumps(body, separators=(",", ":"), default=str),
            media_type="application/json",
            headers={
                "x-shipyard-model-version": served.version_label,
                "x-shipyard-model-alias": route.alias or "",
                "x-request-id": request_id,
            },
        )

    async def close(self, timeout: float = 10.0) -> None:
        """Let shadow copies still in flight finish (up to ``timeout``)."""
        if self._shadows:
            await asyncio.wait(list(self._shadows), timeout=timeout)

    def _failed(
        self, exc: Exception, labels: tuple[str, str], started: float, request_id: str
    ) -> Response:
        if not isinstance(exc, ShipyardError):
            exc = Failure(f"internal error: {type(exc).__name__}: {exc}")
        status = 422 if isinstance(exc, UserError) else exc.status
        self.metrics.requests.inc((str(status), *labels))
        self.metrics.errors.inc((type(exc).__name__,))
        self.metrics.latency.observe(time.perf_counter() - started, labels)
        return _error(status, type(exc).__name__, exc.message, request_id)

    def _record(
        self,
        request_id: str,
        route: Route,
        served: ServedModel,
        model_input: ModelInput,
        answer: Answer,
        elapsed: float,
        created: int,
        shadow: bool = False,
    ) -> PredictionRecord:
        return PredictionRecord(
            request_id=request_id,
            deployment=self.deployment,
            model=served.name,
            version=served.version,
            alias=route.alias or route.label,
            shadow=shadow,
            inputs=model_input.columns,
            outputs=answer.predictions,
            latency_ms=elapsed * 1000,
            created_at=created,
        )

    def _send_shadow(
        self, shadow: tuple[Route, ServedModel], payload: Any, request_id: str
    ) -> None:
        route, served = shadow
        if len(self._shadows) >= _MAX_SHADOW_IN_FLIGHT:
            self.metrics.shadow.inc(("dropped", route.label, served.version_label))
            return
        task = asyncio.get_running_loop().create_task(
            self._shadow(route, served, payload, request_id)
        )
        self._shadows.add(task)
        task.add_done_callback(self._shadows.discard)

    async def _shadow(
        self, route: Route, served: ServedModel, payload: Any, request_id: str
    ) -> None:
        labels = (route.label, served.version_label)
        started = time.perf_counter()
        created = time.time_ns() // 1_000_000
        try:
            model_input = served.reader.read(payload)  # the shadow may have another signature
            answer: Answer = await served.batcher.submit(Job(model_input))
        except Exception:
            self.metrics.shadow.inc(("error", *labels))
            return
        self.metrics.shadow.inc(("ok", *labels))
        if self.logger is not None:
            elapsed = time.perf_counter() - started
            self.logger.log(
                self._record(
                    request_id, route, served, model_input, answer, elapsed, created, shadow=True
                )
            )


def _error(status: int, type_: str, message: str, request_id: str) -> Response:
    body = {"error": {"type": type_, "message": message}, "request_id": request_id}
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"x-request-id": request_id},
    )
