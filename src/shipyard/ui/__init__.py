"""Jinja templates and static files of the web UI (no build step: plain HTML, CSS and plotly.js)."""

from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
