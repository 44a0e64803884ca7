"""``sy.prompts``: versioned prompts in the registry — create, get, render, diff.

A version stores its ``PromptSpec`` as ``prompt.json``; its variables, model
and provider are copied into the version's metadata so listings and searches
need not read the file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from shipyard.assets.prompts.diff import diff as diff_specs
from shipyard.assets.prompts.render import render as render_spec
from shipyard.assets.prompts.spec import ModelSettings, PromptSpec
from shipyard.assets.registry import read_file, register_files, resolve, use
from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace

SPEC_FILE = "prompt.json"


def create(
    name: str,
    spec: PromptSpec | str | Sequence[Mapping[str, str]] | Mapping[str, Any],
    *,
    model: ModelSettings | Mapping[str, Any] | None = None,
    response_schema: Mapping[str, Any] | None = None,
    description: str | None = None,
    workspace: Workspace | None = None,
) -> AssetVersion:
    """Register a prompt version from a spec, a template string, chat messages or a spec dict.

    ``model`` and ``response_schema`` override the spec's own. Registering the
    same prompt again returns the latest version.
    """
    built = _spec(spec)
    data = built.to_dict()
    if model is not None:
        data["model"] = model.to_dict() if isinstance(model, ModelSettings) else dict(model)
    if response_schema is not None:
        data["response_schema"] = dict(response_schema)
    if description is not None:
        data["description"] = description
    built = PromptSpec.from_dict(data)
    body = json.dumps(built.to_dict(), sort_keys=True, indent=2, ensure_ascii=False)
    settings = built.model
    metadata = {
        "variables": built.variables,
        "messages": len(built.messages),
        "provider": settings.provider if settings else None,
        "model": settings.model if settings else None,
        "has_response_schema": built.response_schema is not None,
        "description": built.description,
    }
    version, _ = register_files(
        "prompt", name, {SPEC_FILE: body.encode()}, metadata, workspace=workspace
    )
    return version


def get(ref: str | AssetRef, *, workspace: Workspace | None = None) -> PromptSpec:
    """The spec of a prompt version (inside a run, recorded as consumed)."""
    return _spec_of(use(ref, "prompt", workspace=workspace), workspace)


def load(
    ref: str | AssetRef, *, workspace: Workspace | None = None
) -> tuple[AssetVersion, PromptSpec]:
    """The version a reference resolves to and its spec (inside a run, recorded as consumed).

    Callers that record which version they used (the LLM request path) need both.
    """
    version = use(ref, "prompt", workspace=workspace)
    return version, _spec_of(version, workspace)


def render(
    ref: str | AssetRef, *, workspace: Workspace | None = None, **variables: object
) -> list[dict[str, str]]:
    """Chat messages of a prompt version with ``variables`` filled in (sandboxed).

    A missing or unexpected variable is an ``InvalidInput`` naming it.
    """
    return render_spec(get(ref, workspace=workspace), variables)


def diff(
    old: str | AssetRef, new: str | AssetRef, *, workspace: Workspace | None = None
) -> list[str]:
    """A unified diff of two prompt versions: messages and settings."""
    a = resolve(old, "prompt", workspace=workspace)
    b = resolve(new, "prompt", workspace=workspace)
    return diff_specs(_spec_of(a, workspace), _spec_of(b, workspace), a_name=a.ref, b_name=b.ref)


def _spec_of(version: AssetVersion, workspace: Workspace | None) -> PromptSpec:
    """The spec of a version; read once per content digest (a version never changes).

    A prompt used for every call of an evaluation or an app would otherwise be
    read from the blob store and parsed again each time.
    """
    spec = _specs.get(version.digest)
    if spec is None:
        with read_file(version, SPEC_FILE, workspace=workspace) as fh:
            spec = PromptSpec.from_dict(json.loads(fh.read().decode("utf-8")))
        with _specs_lock:
            if len(_specs) >= _SPECS_KEPT:
                _specs.pop(next(iter(_specs)))
            _specs[version.digest] = spec
    return spec


_SPECS_KEPT = 256
_specs: dict[str, PromptSpec] = {}
_specs_lock = threading.Lock()


def _spec(spec: object) -> PromptSpec:
    if isinstance(spec, PromptSpec):
        return spec
    if isinstance(spec, str):
        return PromptSpec.from_text(spec)
    if isinstance(spec, Mapping):
        return PromptSpec.from_dict(dict(spec))
    if isinstance(spec, Sequence):
        return PromptSpec.from_dict({"messages": [dict(m) for m in spec]})
    raise InvalidInput(
        f"a prompt is a template string, a list of chat messages or a spec; got {type(spec).__name__}"
    )
