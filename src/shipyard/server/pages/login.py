"""``/ui/login`` and ``/ui/logout``: trade the server token for an HTTP-only cookie.

The form is parsed by hand (a urlencoded body has two fields), so the UI
needs no multipart dependency.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from shipyard.server.auth import COOKIE
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import page_router

router = page_router(public=True)
_MAX_FORM = 16_384
_COOKIE_AGE = 30 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only local paths under ``/ui/``: a login link must not redirect to another site."""
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/"


@router.get("/ui/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if not request.app.state.token:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request, "login.html", {"title": "Sign in", "next": safe_next(next), "error": None}
    )


@router.post("/ui/login")
async def login(request: Request) -> Response:
    expected: str | None = request.app.state.token
    body = await request.body()
    form = parse_qs(body[:_MAX_FORM].decode("utf-8", "replace"))
    supplied = (form.get("token") or [""])[0].strip()
    target = safe_next((form.get("next") or [""])[0])
    if not expected:
        return RedirectResponse(target, status_code=303)
    if not supplied or not hmac.compare_digest(supplied.encode(), expected.encode()):
        context = {
            "title": "Sign in",
            "next": target,
            "error": "That token is not the one this server was started with. Try again.",
        }
        return render(request, "login.html", context, status=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        supplied,
        max_age=_COOKIE_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/ui/logout")
def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
