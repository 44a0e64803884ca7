"""Prompts: versioned chat templates with model settings and a response schema.

A prompt version is a ``PromptSpec``: chat messages whose contents are Jinja
templates (``{{ variable }}``), optional ``ModelSettings`` and an optional JSON
Schema for the answer. ``render`` fills the templates in a sandbox that cannot
run code; ``diff`` compares two versions. Storage lives in the asset registry;
this package is the pure part.
"""

from __future__ import annotations

from shipyard.assets.prompts.diff import diff
from shipyard.assets.prompts.limits import MAX_LOOP_ITERATIONS, MAX_OUTPUT_CHARS
from shipyard.assets.prompts.render import render, render_text
from shipyard.assets.prompts.spec import ROLES, Message, ModelSettings, PromptSpec, Role

__all__ = [
    "MAX_LOOP_ITERATIONS",
    "MAX_OUTPUT_CHARS",
    "ROLES",
    "Message",
    "ModelSettings",
    "PromptSpec",
    "Role",
    "diff",
    "render",
    "render_text",
]
