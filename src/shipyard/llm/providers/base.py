"""The provider backend family: a small protocol, a registry of lazy ``"module:Class"`` strings.

A provider is a *wire protocol* (OpenAI's, Anthropic's, llama.cpp's in-process
API); where it is hosted is configuration (``ProviderConfig.base_url``), so one
``openai`` provider serves OpenAI, vLLM, Ollama, a llama.cpp server or another
shipyard gateway. Third parties add providers through the
``shipyard.llm_providers`` entry-point group.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from threading import Lock
from typing import Any, Protocol, runtime_checkable

from shipyard.core.errors import InvalidInput
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse

PROVIDERS: dict[str, str] = {
    "local": "shipyard.llm.providers.local:LocalProvider",
    "openai": "shipyard.llm.providers.openai:OpenAIProvider",
    "anthropic": "shipyard.llm.providers.anthropic:AnthropicProvider",
    "echo": "shipyard.llm.providers.echo:EchoProvider",
}
ENTRY_POINT_GROUP = "shipyard.llm_providers"

DEFAULT_MODEL = "local/gemma-3-270m"
DEFAULT_EMBEDDING_MODEL = "local/all-minilm-l6-v2"


@dataclass(frozen=True)
class ProviderConfig:
    """Where a provider is hosted and how to authenticate: the *host*, apart from the protocol.

    ``api_key`` is the resolved secret (from ``api_key_env``); it is never
    logged, traced or stored.
    """

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)
    """Provider-specific settings (``n_ctx`` for local, ``api_version`` for anthropic…)."""


@runtime_checkable
class Provider(Protocol):
    """One wire protocol. ``capabilities`` ⊆ {"chat", "completion", "embedding", "stream"}."""

    name: str
    capabilities: frozenset[str]

    def call(self, request: LLMRequest, model: str, *, timeout: float) -> LLMResponse:
        """Answer ``request`` with ``model`` (the name without the provider prefix).

        Returns usage as the provider reported it, or counted offline with
        ``estimated=True``. Raises ``ProviderError`` (``retryable`` set for
        429, 5xx, timeouts and refused connections).
        """
        ...

    def stream(self, request: LLMRequest, model: str, *, timeout: float) -> Iterator[Chunk]:
        """Yield the answer in pieces; the last chunk has ``finish_reason`` and usage if known.

        Errors before the first chunk raise ``ProviderError`` like ``call``.
        """
        ...

    def count_tokens(self, model: str, text: str) -> int | None:
        """Tokens in ``text`` by the model's own tokenizer, or None when it has none offline."""
        ...


_lock = Lock()
_instances: dict[tuple[str, str], Provider] = {}


def _config_key(config: ProviderConfig) -> str:
    """A hashable identity of ``config`` (its mappings are dicts, so the dataclass is not hashable)."""
    return json.dumps(
        [config.base_url, config.api_key, dict(config.headers), dict(config.options)],
        sort_keys=True,
        default=repr,
    )


def provider_names() -> list[str]:
    """Built-in providers and those installed through entry points."""
    names = set(PROVIDERS)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def get_provider(name: str, config: ProviderConfig | None = None) -> Provider:
    """The provider ``name`` for ``config``: built once per process and host, then reused.

    Reuse matters: the local provider loads its model once, HTTP providers keep
    their connection pools.
    """
    config = config or ProviderConfig()
    key = (name, _config_key(config))
    found = _instances.get(key)
    if found is not None:
        return found
    with _lock:
        found = _instances.get(key)
        if found is None:
            found = _load(name)(config)
            _instances[key] = found
        return found


def reset_providers() -> None:
    """Forget every built provider (tests; a changed environment)."""
    with _lock:
        for provider in _instances.values():
            close = getattr(provider, "close", None)
            if close is not None:
                close()
        _instances.clear()


def split_model(model: str) -> tuple[str, str]:
    """``"openai/gpt-4o-mini"`` → ``("openai", "gpt-4o-mini")``; the provider must be known."""
    provider, sep, name = model.partition("/")
    if not sep or not name:
        raise InvalidInput(
            f"model {model!r} is neither an alias of the gateway config nor 'provider/model' "
            f"(providers: {', '.join(provider_names())}); for example 'local/gemma-3-270m'"
        )
    if provider not in PROVIDERS and provider not in provider_names():
        raise InvalidInput(
            f"unknown provider {provider!r} in model {model!r}; "
            f"known providers: {', '.join(provider_names())}"
        )
    return provider, name


def _load(name: str) -> Any:
    target = PROVIDERS.get(name)
    if target is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                return ep.load()
        raise InvalidInput(f"unknown provider {name!r}; known: {', '.join(provider_names())}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
