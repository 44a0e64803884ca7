"""``/static/``: the UI's CSS and JS, and plotly.js straight from the installed wheel.

No npm build and no CDN: plotly.js is the file the ``plotly`` Python package
ships, so the version always matches the installed package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from shipyard.core.errors import Failure
from shipyard.ui import STATIC

# URLs carry a ?v= version, so a year of caching is safe: a new version is a new URL.
LONG_CACHE = "public, max-age=31536000, immutable"


@cache
def plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise Failure(
            f"plotly.js is missing from the installed plotly package ({path}); "
            "reinstall it with 'pip install --force-reinstall plotly'"
        )
    return path


@cache
def plotly_version() -> str:
    import plotly

    return str(plotly.__version__)


def mount(app: FastAPI) -> None:
    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_min_js() -> FileResponse:
        return FileResponse(
            plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": LONG_CACHE, "X-Content-Type-Options": "nosniff"},
        )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
