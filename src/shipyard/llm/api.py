"""``sy.llm``: chat, complete, stream and embed through the LLM request path.

Every call passes the same stages as a request to the HTTP gateway (keys,
limits, cache, routing, tracing), so a notebook and a deployed app are
measured and limited the same way. With no configuration the default model is
the bundled local one (``local/gemma-3-270m``), which runs offline.

The bundled model is a *base* model: give it few-shot completion prompts
(``complete``), not instructions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from threading import Lock
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.llm.config import GatewayConfig
from shipyard.llm.path import RequestPath
from shipyard.llm.providers.base import DEFAULT_EMBEDDING_MODEL
from shipyard.llm.types import LLMRequest, LLMResponse, Message, Outcome, ResponseStream
from shipyard.workspace import Workspace, current_workspace

_lock = Lock()
_config: GatewayConfig | None = None
_paths: dict[int, tuple[Workspace, GatewayConfig, RequestPath]] = {}


def configure(config: GatewayConfig | str | Path | Mapping[str, Any] | None = None) -> None:
    """Use ``config`` (a ``GatewayConfig``, a YAML path or a dict) for every later call.

    ``None`` goes back to the default: ``SHIPYARD_GATEWAY_CONFIG`` if set, else
    no aliases and the local model.
    """
    global _config
    if config is None or isinstance(config, GatewayConfig):
        built = config
    elif isinstance(config, str | Path):
        built = GatewayConfig.load(config)
    else:
        built = GatewayConfig.from_dict(config)
    with _lock:
        _config = built
        for _, _, path in _paths.values():
            path.close()
        _paths.clear()


def request_path(workspace: Workspace | None = None) -> RequestPath:
    """The request path calls go through: one per workspace, built on first use."""
    ws = workspace or current_workspace()
    with _lock:
        config = _config or _default_config()
        found = _paths.get(id(ws))
        if found is not None and found[0] is ws and found[1] is config:
            return found[2]
        path = RequestPath(config, ws)
        _paths[id(ws)] = (ws, config, path)
        return path


def chat(
    messages: Sequence[Message | Mapping[str, Any]] | None = None,
    *,
    model: str | None = None,
    prompt: str | None = None,
    variables: Mapping[str, object] | None = None,
    key: str | None = None,
    cache: bool = True,
    workspace: Workspace | None = None,
    **params: Any,
) -> LLMResponse:
    """A chat completion: ``messages``, or a registered ``prompt`` reference rendered with ``variables``.

    ``sy.llm.chat(prompt="prompt:support@production", variables={"q": ...})``
    records the exact version used on the trace (``shipyard.prompt_ref``) and,
    inside a run, as consumed by the run. ``params`` are sampling parameters
    (``temperature``, ``max_tokens``, ``stop``...). ``key`` is a virtual key,
    for budgets and limits.
    """
    request = _chat_request(messages, model, prompt, variables, params, False, workspace)
    return _whole(request_path(workspace).run(request, credential=key, cache=cache))


def complete(
    prompt: str | None = None,
    *,
    model: str | None = None,
    template: str | None = None,
    variables: Mapping[str, object] | None = None,
    key: str | None = None,
    cache: bool = True,
    workspace: Workspace | None = None,
    **params: Any,
) -> LLMResponse:
    """A text completion of ``prompt``, or of a registered prompt ``template`` with ``variables``.

    The form that suits a base model: write the start of a document (a few
    solved examples, then the open one) and let the model continue it.
    """
    request = _completion_request(prompt, model, template, variables, params, False, workspace)
    return _whole(request_path(workspace).run(request, credential=key, cache=cache))


def stream_chat(
    messages: Sequence[Message | Mapping[str, Any]] | None = None,
    *,
    model: str | None = None,
    prompt: str | None = None,
    variables: Mapping[str, object] | None = None,
    key: str | None = None,
    cache: bool = True,
    workspace: Workspace | None = None,
    **params: Any,
) -> TextStream:
    """Like ``chat`` but yields the answer's text as it is generated."""
    request = _chat_request(messages, model, prompt, variables, params, True, workspace)
    return TextStream(request_path(workspace).run(request, credential=key, cache=cache))


def stream_complete(
    prompt: str | None = None,
    *,
    model: str | None = None,
    template: str | None = None,
    variables: Mapping[str, object] | None = None,
    key: str | None = None,
    cache: bool = True,
    workspace: Workspace | None = None,
    **params: Any,
) -> TextStream:
    """Like ``complete`` but yields the text as it is generated."""
    request = _completion_request(prompt, model, template, variables, params, True, workspace)
    return TextStream(request_path(workspace).run(request, credential=key, cache=cache))


def embed(
    texts: str | Sequence[str],
    *,
    model: str | None = None,
    key: str | None = None,
    workspace: Workspace | None = None,
) -> LLMResponse:
    """Embeddings of ``texts`` (``response.embeddings``, one vector per text).

    The default model is the bundled all-MiniLM-L6-v2 (384 dimensions).
    """
    items = [texts] if isinstance(texts, str) else list(texts)
    if not all(isinstance(t, str) for t in items):
        raise InvalidInput("texts must be a string or a list of strings")
    request = LLMRequest.embedding(model or DEFAULT_EMBEDDING_MODEL, items)
    return _whole(request_path(workspace).run(request, credential=key))


class TextStream:
    """Iterate for the text pieces of a streamed answer; ``response`` is the whole answer after."""

    def __init__(self, outcome: Outcome) -> None:
        if isinstance(outcome, LLMResponse):  # a stage answered whole (it should not, but be kind)
            self._stream = None
            self.response: LLMResponse | None = outcome
        else:
            self._stream = outcome
            self.response = None

    def __iter__(self) -> Iterator[str]:
        if self._stream is None:
            if self.response is not None and self.response.text:
                yield self.response.text
            return
        for chunk in self._stream:
            if chunk.text:
                yield chunk.text
        self.response = self._stream.response

    @property
    def trace_id(self) -> str | None:
        if self._stream is not None:
            return self._stream.trace_id
        return self.response.trace_id if self.response else None

    def text(self) -> str:
        """Consume the rest of the stream and return the whole text."""
        return "".join(self)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self.response = self._stream.response


def _default_config() -> GatewayConfig:
    path = os.environ.get("SHIPYARD_GATEWAY_CONFIG")
    return GatewayConfig.load(path) if path else GatewayConfig()


def _whole(outcome: Outcome) -> LLMResponse:
    if isinstance(outcome, ResponseStream):  # defensive: consume it
        for _ in outcome:
            pass
        assert outcome.response is not None
        return outcome.response
    return outcome


def _params(settings: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if settings is not None:
        merged.update(settings.extra or {})
        if settings.temperature is not None:
            merged["temperature"] = settings.temperature
        if settings.max_tokens is not None:
            merged["max_tokens"] = settings.max_tokens
    merged.update(params)
    return merged


def _prompt_model(settings: Any) -> str | None:
    if settings is None or not settings.model:
        return None
    if settings.provider:
        return f"{settings.provider}/{settings.model}"
    return str(settings.model)


def _chat_request(
    messages: Sequence[Message | Mapping[str, Any]] | None,
    model: str | None,
    prompt: str | None,
    variables: Mapping[str, object] | None,
    params: Mapping[str, Any],
    stream: bool,
    workspace: Workspace | None,
) -> LLMRequest:
    if (messages is None) == (prompt is None):
        raise InvalidInput("give either messages or prompt='prompt:NAME@VERSION', not both")
    if prompt is None:
        if variables:
            raise InvalidInput("variables are for a registered prompt; pass prompt='prompt:…'")
        path = request_path(workspace)
        return LLMRequest.chat(
            model or path.config.default_model,
            list(messages or ()),
            params=dict(params),
            stream=stream,
        )
    from shipyard.assets.prompts.api import load
    from shipyard.assets.prompts.render import render

    version, spec = load(prompt, workspace=workspace)
    rendered = render(spec, variables or {})
    chosen = model or _prompt_model(spec.model) or request_path(workspace).config.default_model
    return LLMRequest.chat(
        chosen,
        rendered,
        params=_params(spec.model, params),
        stream=stream,
        prompt_ref=version.ref,
    )


def _completion_request(
    prompt: str | None,
    model: str | None,
    template: str | None,
    variables: Mapping[str, object] | None,
    params: Mapping[str, Any],
    stream: bool,
    workspace: Workspace | None,
) -> LLMRequest:
    if (prompt is None) == (template is None):
        raise InvalidInput("give either a prompt text or template='prompt:NAME@VERSION', not both")
    if template is None:
        if variables:
            raise InvalidInput("variables are for a registered prompt; pass template='prompt:…'")
        chosen = model or request_path(workspace).config.default_model
        return LLMRequest.completion(chosen, str(prompt), params=dict(params), stream=stream)
    from shipyard.assets.prompts.api import load
    from shipyard.assets.prompts.render import render_text

    version, spec = load(template, workspace=workspace)
    text = render_text(spec, variables or {})
    chosen = model or _prompt_model(spec.model) or request_path(workspace).config.default_model
    return LLMRequest.completion(
        chosen, text, params=_params(spec.model, params), stream=stream, prompt_ref=version.ref
    )
