"""Bearer-token authentication for a team server.

With no token configured (the laptop default) every request is allowed. With
one, API calls need ``Authorization: Bearer <token>``; the browser UI accepts
the token once through ``/ui/login`` and keeps it in an HTTP-only cookie.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from shipyard.core.errors import Unauthorized

COOKIE = "shipyard_token"


def check_token(request: Request) -> None:
    expected: str | None = request.app.state.token
    if not expected:
        return
    header = request.headers.get("authorization", "")
    supplied = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    if not supplied or not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise Unauthorized(
            "this shipyard server needs a token: set SHIPYARD_TOKEN (or send "
            "'Authorization: Bearer <token>')"
        )
