"""What makes two requests "the same": a canonical form of a request and its hash.

The exact cache keys entries by :func:`request_hash`; the semantic cache
groups entries by :func:`params_hash` (everything but the prompt) and compares
prompts by embedding inside a group. Both leave out what does not change the
answer: ``user``, ``metadata`` and ``stream`` (a streamed request can be served
from a whole answer and the other way round), and params that only steer the
transport. Numbers are normalized (``1`` and ``1.0``, ``0.7`` and
``0.70000000000001`` are equal), key order does not matter, ``stop="x"`` equals
``stop=["x"]``, and a param set to ``None`` is the same as a param left out.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from shipyard.llm.types import LLMRequest

IGNORED_PARAMS = frozenset(
    {
        "user",
        "metadata",
        "stream",
        "stream_options",
        "store",
        "timeout",
        "request_timeout",
        "extra_headers",
    }
)
"""Params that never change an answer: who asked, how it is carried, whether it is kept."""

_SIGNIFICANT_DIGITS = 12
MAX_SCOPE_CHARS = 255
"""The width of ``llm_cache.scope``; a longer scope is shortened with a digest."""


def _number(value: float) -> int | float:
    if math.isnan(value) or math.isinf(value):
        return value  # json.dumps writes NaN/Infinity; they are odd, not worth refusing here
    if float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return float(f"{value:.{_SIGNIFICANT_DIGITS}g}")


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


def canonical_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The params that can change an answer, in one canonical form."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name in IGNORED_PARAMS or value is None:
            continue
        if name == "stop":
            stops = [value] if isinstance(value, str) else list(value)
            if not stops:
                continue
            out[name] = sorted({str(s) for s in stops})
            continue
        out[str(name)] = _canonical(value)
    return out


def _digest(document: Mapping[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_request(request: LLMRequest) -> dict[str, Any]:
    """The parts of ``request`` that decide its answer, as a JSON-ready dict."""
    doc: dict[str, Any] = {
        "operation": request.operation,
        "model": request.model,
        "params": canonical_params(request.params),
    }
    if request.operation == "chat":
        doc["messages"] = [[m.role, m.content, m.name or ""] for m in request.messages]
    elif request.operation == "completion":
        doc["prompt"] = request.prompt or ""
    else:
        doc["texts"] = list(request.texts)
    return doc


def request_hash(request: LLMRequest) -> str:
    """The exact cache's key: SHA-256 of the canonical request (64 hex digits)."""
    return _digest(canonical_request(request))


def params_hash(request: LLMRequest, embedder: str) -> str:
    """The semantic cache's group: everything but the prompt, and the embedder.

    Two prompts are compared only when the rest of the request is the same (a
    different temperature or ``max_tokens`` is a different question) and their
    vectors come from the same embedder (vectors of two models do not compare).
    """
    return _digest(
        {
            "operation": request.operation,
            "model": request.model,
            "params": canonical_params(request.params),
            "embedder": embedder,
        }
    )


def cache_scope(
    kind: str, model: str, *, key_id: str | None = None, project: str | None = None
) -> str:
    """Who shares entries: ``model|key:<id>``, ``model|project:<p>`` or ``model|global``.

    A ``project`` scope without a project falls back to the key, and to
    ``global`` when the call has no key either (the Python API with no auth).
    A ``key`` scope without a key is ``global`` too.
    """
    if kind == "project" and project:
        tail = f"project:{project}"
    elif kind in ("key", "project") and key_id:
        tail = f"key:{key_id}"
    else:
        tail = "global"
    scope = f"{model}|{tail}"
    if len(scope) > MAX_SCOPE_CHARS:  # still unique, still starts with the model for clearing
        digest = hashlib.sha256(scope.encode("utf-8")).hexdigest()
        scope = f"{model[:120]}|~{digest}"
    return scope
