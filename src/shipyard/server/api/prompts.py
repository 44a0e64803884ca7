"""``/api/v1/prompts``: list prompts, read a version, run it on a model, save an edit.

These are the prompt playground's endpoints (``/ui/prompts/NAME/playground``)
and work as well from any HTTP client. A run goes through the same LLM
request path as ``sy.llm.chat`` (the gateway's, when this server mounts one),
so it is traced, limited and priced like any other call. A run may carry
unsaved ``messages``: the edit is rendered and sent without a prompt
reference, so trying a change costs no version. Saving registers the edit as
the next version; content identical to the latest version makes none
(``created: false``).

Reading and writing both sit behind the server token; POSTs sent by another
site's page are refused as well.
"""

from __future__ import annotations

import time
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from shipyard.assets.prompts.api import create, load
from shipyard.assets.prompts.render import render, render_text
from shipyard.assets.prompts.spec import Message, ModelSettings, PromptSpec
from shipyard.core.errors import Forbidden
from shipyard.core.refs import check_asset_name, parse_ref
from shipyard.llm.path import RequestPath
from shipyard.llm.types import LLMRequest, LLMResponse, ResponseStream
from shipyard.server.deps import workspace
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace

Mode = Literal["chat", "completion"]
FLUSH_S = 1.0
"""How long a run waits for its trace to be stored, so the trace link answers at once."""


def same_site(request: Request) -> None:
    """Refuse a write another site's page sent: the token may ride in this browser's cookie."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    foreign = site not in (None, "same-origin", "none")
    if origin and origin != "null":
        foreign = foreign or urlsplit(origin).netloc != request.url.netloc
    if foreign:
        raise Forbidden("this request came from another site's page; use this server's own UI")


router = APIRouter(tags=["prompts"])
writes = [Depends(same_site)]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str
    content: str


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | str = "latest"
    """A number, an alias or ``latest``."""
    variables: dict[str, Any] = {}
    model: str | None = None
    """An alias or ``provider/model``; default the prompt's own, else the gateway's default."""
    mode: Mode | None = None
    """Default: a completion for a one-user-message prompt (base models), else a chat."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    messages: list[MessageIn] | None = None
    """An unsaved edit of the version's messages, to run instead of them."""
    key: str | None = None
    """A virtual key, when the gateway requires one."""
    cache: bool = True


class SaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[MessageIn]
    base: int | str | None = None
    """The version that was edited: its settings, schema and description carry over."""
    model: dict[str, Any] | None = None
    """New model settings (``ModelSettings`` fields); leave out to keep the base's."""
    description: str | None = None


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[MessageIn]


@router.get("/prompts")
def list_prompts(ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    """Every prompt with its latest version's variables and model."""
    store = ws.store.assets
    out = []
    for asset in store.list("prompt"):
        if asset.latest_version is None:
            continue
        latest = store.resolve(f"prompt:{asset.name}@{asset.latest_version}")
        out.append(summary(latest, asset.aliases, asset.version_count))
    return {"prompts": out}


@router.get("/prompts/{name}/versions/{selector}")
def get_version(name: str, selector: str, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    """One version (a number, an alias or ``latest``) with its whole spec."""
    version, spec = load(_ref(name, selector), workspace=ws)
    return {**_version(version), "spec": spec.to_dict(), "variables": spec.variables}


@router.post("/prompts/{name}/check", dependencies=writes)
def check(name: str, body: CheckIn) -> dict[str, Any]:
    """The variables an edit reads, or a 400 naming its template mistake."""
    check_asset_name(name)
    return {"variables": _draft(body.messages, None).variables}


@router.post("/prompts/{name}/run", dependencies=writes)
def run(
    name: str, body: RunIn, request: Request, ws: Workspace = Depends(workspace)
) -> dict[str, Any]:
    """Render a version (or an unsaved edit of it) and send it to a model."""
    from shipyard.tracing import flush_traces

    version, saved = load(_ref(name, body.version), workspace=ws)
    spec = saved if body.messages is None else _draft(body.messages, saved)
    draft = spec.messages != saved.messages
    path = request_path(request, ws)
    mode = body.mode or default_mode(spec)
    params = _params(spec.model, body)
    model = (body.model or "").strip() or prompt_model(spec) or path.config.default_model
    ref = None if draft else version.ref
    if mode == "chat":
        sent: Any = render(spec, body.variables)
        call = LLMRequest.chat(model, sent, params=params, prompt_ref=ref)
    else:
        sent = render_text(spec, body.variables)
        call = LLMRequest.completion(model, sent, params=params, prompt_ref=ref)
    started = time.perf_counter()
    response = _whole(path.run(call, credential=body.key or None, cache=body.cache))
    latency_ms = (time.perf_counter() - started) * 1000
    if response.trace_id:
        flush_traces(FLUSH_S)
    return _result(response, version, draft, mode, model, sent, latency_ms)


@router.post("/prompts/{name}/versions", dependencies=writes)
def save(name: str, body: SaveIn, ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    """Register an edit as the next version; identical to the latest: that one, ``created: false``."""
    check_asset_name(name)
    latest = _latest(ws, name)
    data: dict[str, Any] = {}
    if body.base is not None:
        data = load(_ref(name, body.base), workspace=ws)[1].to_dict()
    elif latest is not None:
        data = load(f"prompt:{name}@{latest}", workspace=ws)[1].to_dict()
    data["messages"] = [m.model_dump() for m in body.messages]
    if "model" in body.model_fields_set:
        data["model"] = body.model
    if body.description is not None:
        data["description"] = body.description
    version = create(name, PromptSpec.from_dict(data), workspace=ws)
    created = latest is None or version.version > latest
    return {"ref": version.ref, "created": created, "version": _version(version)}


def request_path(request: Request, ws: Workspace) -> RequestPath:
    """The gateway's request path when this server mounts one, else the workspace's default."""
    gateway = getattr(request.app.state, "gateway", None)
    path = getattr(gateway, "path", None)
    if isinstance(path, RequestPath):
        return path
    from shipyard.llm.api import request_path as default_path

    return default_path(ws)


def default_mode(spec: PromptSpec) -> Mode:
    """A one-user-message template reads as a document to continue; anything else as a chat."""
    one_user = len(spec.messages) == 1 and spec.messages[0].role == "user"
    return "completion" if one_user else "chat"


def prompt_model(spec: PromptSpec) -> str | None:
    """The model a prompt was written for, as the request path names it."""
    settings = spec.model
    if settings is None or not settings.model:
        return None
    return f"{settings.provider}/{settings.model}" if settings.provider else settings.model


def summary(version: AssetVersion, aliases: dict[str, int], versions: int) -> dict[str, Any]:
    """A prompt as listings show it, from its latest version's metadata (no file read)."""
    meta = version.metadata
    provider, model = meta.get("provider"), meta.get("model")
    return {
        "name": version.name,
        "ref": version.ref,
        "latest_version": version.version,
        "versions": versions,
        "aliases": dict(aliases),
        "variables": list(meta.get("variables") or []),
        "model": f"{provider}/{model}" if provider and model else model,
        "description": meta.get("description") or None,
        "updated_at": version.created_at,
    }


def _ref(name: str, selector: int | str) -> str:
    check_asset_name(name)
    return str(parse_ref(f"prompt:{name}@{selector}"))


def _latest(ws: Workspace, name: str) -> int | None:
    found = [a for a in ws.store.assets.list("prompt") if a.name == name]
    return found[0].latest_version if found else None


def _draft(messages: list[MessageIn], base: PromptSpec | None) -> PromptSpec:
    """``base`` with its messages replaced (checked as a whole spec is)."""
    return PromptSpec(
        messages=[Message(m.role, m.content) for m in messages],  # type: ignore[arg-type]
        model=base.model if base else None,
        response_schema=base.response_schema if base else None,
        description=base.description if base else "",
    )


def _params(settings: ModelSettings | None, body: RunIn) -> dict[str, Any]:
    params: dict[str, Any] = dict(settings.extra) if settings else {}
    for name in ("temperature", "max_tokens"):
        value = getattr(body, name)
        if value is None and settings is not None:
            value = getattr(settings, name)
        if value is not None:
            params[name] = value
    return params


def _whole(outcome: LLMResponse | ResponseStream) -> LLMResponse:
    if isinstance(outcome, ResponseStream):  # not asked for; consume it to be safe
        for _ in outcome:
            pass
        assert outcome.response is not None
        return outcome.response
    return outcome


def _version(version: AssetVersion) -> dict[str, Any]:
    return {
        "ref": version.ref,
        "name": version.name,
        "version": version.version,
        "aliases": list(version.aliases),
        "created_at": version.created_at,
        "created_by": version.created_by,
    }


def _result(
    response: LLMResponse,
    version: AssetVersion,
    draft: bool,
    mode: Mode,
    model: str,
    sent: Any,
    latency_ms: float,
) -> dict[str, Any]:
    trace = response.trace_id
    return {
        "text": response.text,
        "finish_reason": response.finish_reason,
        "mode": mode,
        "requested_model": model,
        "model": response.model,
        "provider": response.provider,
        "prompt_ref": None if draft else version.ref,
        "base_ref": version.ref,
        "draft": draft,
        "sent": sent,
        "usage": {**response.usage.to_dict(), "estimated": response.usage.estimated},
        "cost_usd": response.cost_usd,
        "latency_ms": round(latency_ms, 3),
        "provider_latency_ms": response.latency_ms,
        "cache": response.cache,
        "attempts": response.attempts,
        "trace_id": trace,
        "trace_url": f"/ui/traces/{quote(trace, safe='')}" if trace else None,
    }
