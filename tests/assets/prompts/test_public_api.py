"""The prompts package exports exactly its public surface."""

from __future__ import annotations

import types

import shipyard.assets.prompts as prompts


def test_all_is_exactly_the_public_surface() -> None:
    public = {
        name
        for name, value in vars(prompts).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(prompts.__all__) == public - {"annotations"}
    assert sorted(prompts.__all__) == [
        "MAX_LOOP_ITERATIONS",
        "MAX_OUTPUT_CHARS",
        "Message",
        "ModelSettings",
        "PromptSpec",
        "ROLES",
        "Role",
        "diff",
        "render",
        "render_text",
    ]
