"""The one place where exceptions become JSON ``{"error": {"type", "message"}}`` responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shipyard.core.errors import ShipyardError

log = logging.getLogger("shipyard.server")

_HTTP_TYPES = {
    400: "InvalidInput",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "InvalidInput",
    409: "Conflict",
}


def error_response(status: int, type_: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": type_, "message": message}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ShipyardError)
    async def _shipyard(_request: Request, exc: ShipyardError) -> JSONResponse:
        if exc.status >= 500:
            log.error("request failed: %s", exc, exc_info=exc)
        return error_response(exc.status, type(exc).__name__, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
        return error_response(422, "InvalidInput", "; ".join(parts) or "invalid request")

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        type_ = _HTTP_TYPES.get(
            exc.status_code, "UserError" if exc.status_code < 500 else "Failure"
        )
        return error_response(exc.status_code, type_, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "Failure", f"internal error: {type(exc).__name__}: {exc}")
