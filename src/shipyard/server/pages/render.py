"""The Jinja environment and the one function every page renders through.

Autoescaping is on for every template, and data for charts is embedded with
``script_json`` so that no value (a metric named ``</script>``, a NaN loss)
can break out of its ``<script>`` block or produce invalid JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from shipyard.core.version import __version__
from shipyard.server.pages.formatting import FILTERS
from shipyard.server.pages.nav import nav_groups
from shipyard.server.pages.static import plotly_version
from shipyard.ui import TEMPLATES

# Everything a page needs is served by this app: no CDN, no inline scripts.
# plotly.js injects <style> elements, hence 'unsafe-inline' for styles only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by ``None`` (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def script_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block, safe against ``</script>``."""
    text = json.dumps(json_safe(value), allow_nan=False, separators=(",", ":"))
    for char, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escaped)
    return Markup(text)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(("html",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.filters["script_json"] = script_json
    env.globals["version"] = __version__
    env.globals["plotly_version"] = plotly_version
    return env


ENV = _environment()


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render ``template`` inside the layout: sidebar, workspace location, version."""
    ws = request.app.state.workspace
    page: dict[str, Any] = {
        "path": request.url.path,
        "nav": nav_groups(request.url.path),
        "location": ws.location,
        "auth_enabled": bool(request.app.state.token),
        "title": "",
    }
    page.update(context or {})
    html = ENV.get_template(template).render(page)
    return HTMLResponse(html, status_code=status, headers=page_headers())


def page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
