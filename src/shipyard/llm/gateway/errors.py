"""Errors in OpenAI's wire shape, so OpenAI clients raise the exception they already handle.

Every failure a gateway endpoint meets becomes
``{"error": {"message", "type", "param", "code"}}`` with the status of the
``ShipyardError`` behind it. The official SDK turns the status into its own
classes (400 ``BadRequestError``, 401 ``AuthenticationError``, 403
``PermissionDeniedError``, 404 ``NotFoundError``, 429 ``RateLimitError``,
5xx ``InternalServerError``), so a caller's existing error handling keeps
working. Nothing here ever puts a traceback or a secret in a body.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from shipyard.core.errors import InvalidInput, ProviderError, RateLimited, ShipyardError

log = logging.getLogger("shipyard.gateway")

_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", "permission_denied"),
    404: ("invalid_request_error", "not_found"),
    409: ("invalid_request_error", "conflict"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("rate_limit_exceeded", "rate_limit"),
}
_MAX_RETRY_AFTER_S = 60.0
"""Clients such as the OpenAI SDK do not wait longer than this; past it, tell them not to retry."""


class WireError(InvalidInput):
    """Raised when a request body does not follow the OpenAI wire format; names the bad field."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.code = code


class ModelNotFound(ShipyardError):
    """Raised when a request names a model that is neither an alias nor ``provider/model``."""

    status = 404
    headline = "Model not found"

    def __init__(self, model: str, known: list[str], *, direct: bool = True) -> None:
        """``direct``: whether the gateway takes ``provider/model`` names besides its aliases."""
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        how = (
            "use an alias of its config or 'provider/model'"
            if direct
            else "use an alias of its config (routing.allow_direct_models is false)"
        )
        super().__init__(
            f"the model {model!r} does not exist on this gateway; {how} "
            f"(GET /v1/models lists: {shown})"
        )
        self.model = model


def error_payload(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The status, the OpenAI-shaped body and the extra headers for ``exc``."""
    headers: dict[str, str] = {}
    if not isinstance(exc, ShipyardError):
        log.error("gateway request failed unexpectedly", exc_info=exc)
        return (
            500,
            _body(
                f"internal error ({type(exc).__name__}); see the gateway log",
                "server_error",
                None,
                None,
            ),
            headers,
        )
    status = int(exc.status)
    type_, code = _TYPES.get(status, ("server_error", None))
    param = None
    if isinstance(exc, WireError):
        param, code = exc.param, exc.code or code
    elif isinstance(exc, ModelNotFound):
        param, code = "model", "model_not_found"
    elif isinstance(exc, RateLimited):
        code = _rate_limit_code(exc)
        _retry_after(headers, exc.retry_after_s)
        if exc.retry_after_s is None and code == "budget_exceeded":
            headers["x-should-retry"] = "false"  # a total budget never resets
    elif isinstance(exc, ProviderError):
        type_ = "upstream_error"
        code = f"upstream_{exc.upstream_status}" if exc.upstream_status else "upstream_failure"
        _retry_after(headers, exc.retry_after_s)
        if not exc.retryable:
            headers["x-should-retry"] = "false"
    if status >= 500:
        log.warning("gateway request failed: %s", exc.message)
    return status, _body(exc.message, type_, param, code), headers


def error_json(exc: BaseException) -> tuple[int, bytes, dict[str, str]]:
    """``error_payload`` with the body already encoded."""
    status, body, headers = error_payload(exc)
    return status, json.dumps(body).encode(), headers


def _body(message: str, type_: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _retry_after(headers: dict[str, str], seconds: float | None) -> None:
    """``Retry-After`` in whole seconds; past a minute, also tell clients not to wait for it."""
    if seconds is None:
        return
    headers["retry-after"] = str(max(1, math.ceil(seconds)))
    if seconds > _MAX_RETRY_AFTER_S:
        headers["x-should-retry"] = "false"


def _rate_limit_code(exc: RateLimited) -> str:
    """``budget_exceeded`` for a spent budget, ``rate_limit`` for rpm/tpm; the limits stage may say."""
    named = getattr(exc, "limit", None) or getattr(exc, "code", None)
    text = named if isinstance(named, str) and named else exc.message
    return "budget_exceeded" if "budget" in text.lower() else "rate_limit"
