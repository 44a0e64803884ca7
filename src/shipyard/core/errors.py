"""Every error shipyard raises on purpose.

The hierarchy::

    ShipyardError                 base; never raised itself (HTTP 500)
    ├── UserError                 the caller asked for something wrong (400)
    │   ├── InvalidInput          a value is malformed or out of range (400)
    │   ├── NotFound              the thing named does not exist (404)
    │   ├── Conflict              the request clashes with what exists (409)
    │   ├── Unauthorized          no or a wrong token (401)
    │   ├── Forbidden             the token may not do this (403)
    │   └── RateLimited           a budget or rate limit is used up (429)
    └── Failure                   shipyard or a service it needs failed (500)
        ├── StoreError            the metadata store or blob store failed (503)
        ├── RemoteError           a shipyard server answered with a failure (502)
        └── ProviderError         an LLM provider failed or refused (502, or its own status)

User mistakes (``UserError``) are told apart from failures so that the CLI
prints one line for the first and a traceback only for the second when asked,
and the REST API answers 4xx for the first and 5xx for the second. The one
boundary per surface (``cli.main``, ``server.errors``) does that conversion;
call sites only raise.
"""

from __future__ import annotations

from typing import ClassVar


class ShipyardError(Exception):
    """Base of every error shipyard raises on purpose."""

    status: ClassVar[int] = 500
    headline: ClassVar[str] = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The JSON body the REST API sends for this error."""
        return {"error": {"type": type(self).__name__, "message": self.message}}


class UserError(ShipyardError):
    """Raised when the caller asked for something wrong; the message says how to fix it."""

    status = 400
    headline = "Invalid request"


class InvalidInput(UserError):
    """Raised when a value is malformed or out of range (a bad filter, a bad path, a NaN key)."""

    status = 400
    headline = "Invalid input"


class NotFound(UserError):
    """Raised when a named experiment, run, artifact or blob does not exist."""

    status = 404
    headline = "Not found"


class Conflict(UserError):
    """Raised when a request clashes with existing state (a duplicate name, a finished run)."""

    status = 409
    headline = "Conflict"


class Unauthorized(UserError):
    """Raised when a server needs a token and none or a wrong one was sent."""

    status = 401
    headline = "Unauthorized"


class Forbidden(UserError):
    """Raised when the token is valid but may not do what was asked."""

    status = 403
    headline = "Forbidden"


class RateLimited(UserError):
    """Raised when a virtual key's budget or rate limit is used up; says which and when it resets."""

    status = 429
    headline = "Rate limited"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Failure(ShipyardError):
    """Raised when shipyard itself or a service it depends on failed."""

    status = 500
    headline = "Failure"


class StoreError(Failure):
    """Raised when the metadata database or the blob store cannot be used."""

    status = 503
    headline = "Store error"


class RemoteError(Failure):
    """Raised when a shipyard server could not be reached or answered with a failure."""

    status = 502
    headline = "Server error"


class ProviderError(Failure):
    """Raised when an LLM provider failed: an HTTP error, a timeout, a refused connection.

    ``retryable`` says whether the router may try again (429, 5xx, timeouts,
    connection errors); ``status`` is the HTTP status the gateway answers with;
    ``retry_after_s`` is the upstream's ``Retry-After``, which the router honours.
    """

    status = 502
    headline = "Provider error"

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        retryable: bool = False,
        upstream_status: int | None = None,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable
        self.upstream_status = upstream_status
        self.retry_after_s = retry_after_s
        if status is not None:
            self.status = status  # type: ignore[misc]


_BY_NAME: dict[str, type[ShipyardError]] = {
    cls.__name__: cls
    for cls in (
        ShipyardError,
        UserError,
        InvalidInput,
        NotFound,
        Conflict,
        Unauthorized,
        Forbidden,
        RateLimited,
        Failure,
        StoreError,
        RemoteError,
        ProviderError,
    )
}


_BY_STATUS: dict[int, type[ShipyardError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
    429: RateLimited,
}


def error_from_dict(body: object, status: int) -> ShipyardError:
    """Rebuild the error a server sent as ``{"error": {"type", "message"}}``.

    A remote client raises the same class the server raised, so code behaves
    the same against a local folder and a team server.
    """
    message = f"server answered HTTP {status}"
    cls: type[ShipyardError] | None = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        cls = _BY_NAME.get(str(err.get("type")))
        message = str(err.get("message", message))
    if cls is None:
        cls = _BY_STATUS.get(status, UserError if 400 <= status < 500 else RemoteError)
    return cls(message)
