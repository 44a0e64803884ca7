"""A unified diff of two prompt specs, for ``shipyard prompts diff``.

Each spec is laid out as labelled sections (description, model, one per
message, response schema) and the layouts are diffed line by line, so a
changed word in a system message shows as that line, not as a new prompt.
"""

from __future__ import annotations

import difflib
import json

from shipyard.assets.prompts.spec import PromptSpec


def diff(a: PromptSpec, b: PromptSpec, *, a_name: str = "a", b_name: str = "b") -> list[str]:
    """Unified-diff lines from ``a`` to ``b`` (no line endings); empty when they match.

    ``a_name`` and ``b_name`` head the diff, such as ``prompt:support@1``.
    """
    return list(
        difflib.unified_diff(layout(a), layout(b), fromfile=a_name, tofile=b_name, lineterm="")
    )


def layout(spec: PromptSpec) -> list[str]:
    """The spec as the lines that ``diff`` compares.

    An empty section says so on its heading (``# model (none)``), so that
    difflib never lines up one section's emptiness with another's.
    """
    lines = _section("description", spec.description.split("\n") if spec.description else [])
    if spec.model is not None:
        settings = spec.model.to_dict().items()
        lines += _section("model", [f"{key}: {_json(value)}" for key, value in settings])
    else:
        lines += _section("model", [])
    for i, message in enumerate(spec.messages):
        # split, not splitlines: a trailing newline is a change the model sees
        lines += [f"# messages[{i}] {message.role}", *message.content.split("\n")]
    schema = spec.response_schema
    body = [] if schema is None else json.dumps(schema, indent=2, sort_keys=True).split("\n")
    return lines + _section("response_schema", body)


def _section(name: str, body: list[str]) -> list[str]:
    return [f"# {name}", *body] if body else [f"# {name} (none)"]


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True)
