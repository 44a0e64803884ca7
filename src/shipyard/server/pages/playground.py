"""``/ui/prompts``: every prompt, and a playground to run and edit one.

The playground page (``/ui/prompts/NAME/playground?version=N``) shows a
version's messages in editable text areas, a field per variable and the
model settings; ``playground.js`` sends "Run" and "Save as new version" to
the REST endpoints of ``server.api.prompts``, so the page and any HTTP
client do the same thing. The page itself is a read and sits behind the
same token as every page; the endpoints it calls check the token again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from shipyard.assets.prompts.api import load
from shipyard.assets.prompts.spec import ROLES
from shipyard.core.refs import check_asset_name, parse_ref
from shipyard.llm.providers.base import DEFAULT_MODEL
from shipyard.server.api.prompts import default_mode, prompt_model, request_path, summary
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.store.asset_records import AssetVersion

router = page_router()
KNOWN_MODELS = ("echo/echo", DEFAULT_MODEL)
"""Offered in the model field besides the gateway's aliases: the fake and the bundled model."""


@dataclass(frozen=True)
class VersionOption:
    """One entry of the version picker."""

    number: int
    aliases: tuple[str, ...]
    latest: bool

    @property
    def label(self) -> str:
        tags = [*self.aliases, *(["latest"] if self.latest else [])]
        return f"{self.number} ({', '.join(tags)})" if tags else str(self.number)


@router.get("/ui/prompts")
def prompts_page(request: Request, ws: WorkspaceDep) -> Response:
    """Every prompt with its variables and model, each a link to its playground."""
    store = ws.store.assets
    rows = [
        summary(store.resolve(f"prompt:{a.name}@{a.latest_version}"), a.aliases, a.version_count)
        for a in store.list("prompt")
        if a.latest_version is not None
    ]
    return render(request, "prompts.html", {"title": "Prompts", "prompts": rows})


@router.get("/ui/prompts/{name}/playground")
def playground_page(
    request: Request, ws: WorkspaceDep, name: str, version: str = "latest"
) -> Response:
    """One version ready to run: its messages, a field per variable, the model settings."""
    check_asset_name(name)
    chosen, spec = load(parse_ref(f"prompt:{name}@{version}"), workspace=ws)
    versions = ws.store.assets.versions("prompt", name)
    latest = max(v.version for v in versions)
    path = request_path(request, ws)
    config = path.config
    models = list(dict.fromkeys([*config.model_names(), *KNOWN_MODELS]))
    settings = spec.model
    return render(
        request,
        "playground.html",
        {
            "title": f"Playground · prompt:{name}",
            "name": name,
            "chosen": chosen,
            "spec": spec,
            "options": _options(versions, latest),
            "latest": latest,
            "roles": ROLES,
            "default_model": prompt_model(spec) or config.default_model,
            "models": models,
            "mode": default_mode(spec),
            "temperature": settings.temperature if settings else None,
            "max_tokens": settings.max_tokens if settings else None,
            "require_key": config.auth.require_key,
            "data": _data(chosen, spec.to_dict(), spec.variables),
        },
    )


def _options(versions: list[AssetVersion], latest: int) -> list[VersionOption]:
    ordered = sorted(versions, key=lambda v: v.version, reverse=True)
    return [VersionOption(v.version, tuple(v.aliases), v.version == latest) for v in ordered]


def _data(chosen: AssetVersion, spec: dict[str, Any], variables: list[str]) -> dict[str, Any]:
    """What playground.js reads from the page (as JSON in a script block)."""
    return {
        "name": chosen.name,
        "version": chosen.version,
        "ref": chosen.ref,
        "spec": spec,
        "variables": variables,
    }
