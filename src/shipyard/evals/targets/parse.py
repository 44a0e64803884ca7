"""``parse_target``: from the text a user writes to a resolved ``Target``.

Which kind of target a text is follows from its form, checked in this order:

=============================  ===========================================
``http://…``, ``https://…``    an HTTP endpoint (a model server or any URL)
``model:NAME@VERSION|ALIAS``   a registered model
``prompt:NAME@VERSION|ALIAS``  a registered prompt, run on ``model=``
``module:function``            a Python callable (``app.py:answer`` too)
=============================  ===========================================

A Python module literally named ``model`` or ``prompt`` is therefore reached
through its package path (``myapp.model:predict``). Each kind is a lazy
``"module:Class"`` string in ``TARGETS``, so parsing a model target never
imports the LLM stack and the other way round.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.evals.targets.base import Target
from shipyard.workspace import Workspace, current_workspace

TARGETS: dict[str, str] = {
    "http": "shipyard.evals.targets.http:HttpTarget",
    "model": "shipyard.evals.targets.model:ModelTarget",
    "prompt": "shipyard.evals.targets.prompt:PromptTarget",
    "function": "shipyard.evals.targets.function:FunctionTarget",
}
FORMS = "model:NAME@VERSION, prompt:NAME@VERSION (with a model), module:function or an http(s) URL"
_NOT_TARGETS = ("dataset:", "index:")


def target_kind(spec: str) -> str:
    """The kind of target ``spec`` names, or ``InvalidInput`` listing the accepted forms."""
    text = spec.strip() if isinstance(spec, str) else ""
    if text.startswith(("http://", "https://")):
        return "http"
    if text.startswith("model:"):
        return "model"
    if text.startswith("prompt:"):
        return "prompt"
    if text.startswith(_NOT_TARGETS):
        raise InvalidInput(f"{text} is a {text.split(':')[0]}, not a target; use {FORMS}")
    if ":" in text and text.rpartition(":")[0] and text.rpartition(":")[2]:
        return "function"
    raise InvalidInput(f"{spec!r} is not a target; use {FORMS}")


def parse_target(
    spec: str,
    *,
    model: str | None = None,
    options: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
) -> Target:
    """Resolve ``spec`` to a ``Target`` (versions resolved, nothing recorded, nothing run).

    ``model`` is the model a prompt target runs on (required for prompts,
    refused for the others). ``options`` are per-kind settings: ``batch_size``
    and ``trusted`` for models; ``mode`` (``chat``/``completion``) and
    ``params`` (sampling, e.g. ``{"max_tokens": 8}``) for prompts;
    ``timeout_s``, ``batch_size`` and ``headers`` for HTTP endpoints.
    """
    kind = target_kind(spec)
    module_name, _, class_name = TARGETS[kind].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    target: Target = cls.from_spec(
        spec.strip(), model=model, options=options, workspace=workspace or current_workspace()
    )
    return target
