"""Routers for HTML pages: errors become friendly pages, a missing token a trip to login.

The REST API turns errors into JSON in ``server.errors``; a person in a
browser should see a page instead, so every page route is a ``PageRoute``
that catches what its handler raises before that JSON boundary sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from shipyard.core.errors import InvalidInput, ShipyardError, Unauthorized
from shipyard.server.auth import check_token
from shipyard.server.deps import workspace
from shipyard.server.pages.render import render
from shipyard.workspace import Workspace

log = logging.getLogger("shipyard.server.pages")

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
WorkspaceDep = Annotated[Workspace, Depends(workspace)]
"""The workspace a page reads, as a parameter annotation."""


class PageRoute(APIRoute):
    """An ``APIRoute`` whose failures render ``error.html`` instead of JSON."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized:
                return RedirectResponse(login_url(request), status_code=303)
            except RequestValidationError as exc:
                return error_page(request, InvalidInput(_validation_message(exc)))
            except ShipyardError as exc:
                if exc.status >= 500:
                    log.error("page %s failed: %s", request.url.path, exc, exc_info=exc)
                return error_page(request, exc)
            except Exception as exc:
                log.exception("page %s failed", request.url.path)
                return error_page(request, exc)

        return page_handler


def page_router(*, public: bool = False) -> APIRouter:
    """A router for pages, kept out of the OpenAPI schema; ``public`` skips the token check."""
    return APIRouter(
        route_class=PageRoute,
        include_in_schema=False,
        dependencies=[] if public else [Depends(check_token)],
    )


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/ui/login?next={quote(target, safe='')}"


def error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ShipyardError):
        status, headline, message = exc.status, exc.headline, exc.message
    else:
        status, headline = 500, "Something went wrong"
        message = f"internal error: {type(exc).__name__}: {exc}. The server log has the details."
    return render(
        request,
        "error.html",
        {"title": headline, "status": status, "headline": headline, "message": message},
        status=status,
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"
