"""The gateway config: model aliases and their targets, routing, cache, auth, limits, prices, stages.

Read from YAML (``shipyard gateway --config gateway.yaml``) or built in Python.
With no config at all every ``provider/model`` name works directly and the
default model is the bundled local one, so nothing needs configuring offline.

A complete file::

    default_model: fast
    models:
      fast:
        targets:
          - {provider: openai, model: gpt-4o-mini, base_url: http://127.0.0.1:8000/v1,
             api_key_env: OPENAI_API_KEY, weight: 3, timeout_s: 10}
          - {provider: local, model: gemma-3-270m}
    routing: {retries: 2, backoff_s: 0.1, backoff_max_s: 2, timeout_s: 60,
              breaker_failures: 5, breaker_cooldown_s: 30, allow_direct_models: true}
    cache: {exact: true, semantic: true, threshold: 0.95, ttl_s: 3600, scope: project,
            embedder: local/all-minilm-l6-v2}
    auth: {require_key: true}
    limits: {redis_url: redis://127.0.0.1:6379/0}
    tracing: {enabled: true, record_messages: true, otlp_endpoint: http://127.0.0.1:4318}
    prices: {openai/gpt-4o-mini: {input: 0.15, output: 0.6}}
    stages: [trace, auth, limits, input_guards, cache, output_guards, route]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.llm.prices import Price, PriceTable
from shipyard.llm.providers.base import (
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_MODEL,
    ProviderConfig,
    split_model,
)

DEFAULT_STAGES: tuple[str, ...] = (
    "trace",
    "auth",
    "limits",
    "input_guards",
    "cache",
    "output_guards",
    "route",
)
STAGES: dict[str, str] = {
    "trace": "shipyard.llm.stages.trace:TraceStage",
    "auth": "shipyard.llm.stages.auth:AuthStage",
    "limits": "shipyard.llm.stages.limits:LimitStage",
    "input_guards": "shipyard.llm.stages.guards:InputGuardStage",
    "cache": "shipyard.llm.stages.cache:CacheStage",
    "output_guards": "shipyard.llm.stages.guards:OutputGuardStage",
    "route": "shipyard.llm.stages.route:RouteStage",
}
"""Built-in stages; a config may also name any ``"module:Class"`` taking (config, workspace)."""

CacheScope = Literal["key", "project", "global"]


def _fields(data: object, allowed: set[str], where: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must be a mapping")
    unknown = set(data) - allowed
    if unknown:
        raise InvalidInput(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    return dict(data)


def _number(value: object, where: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise InvalidInput(f"{where} must be a number >= {minimum:g}, got {value!r}")
    return float(value)


def _flag(value: object, where: str) -> bool:
    """A YAML boolean; a string such as "false" would otherwise read as true."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{where} must be true or false, got {value!r}")
    return value


@dataclass(frozen=True)
class TargetConfig:
    """One place a model alias can be served from."""

    provider: str
    model: str
    weight: float = 1.0
    timeout_s: float | None = None
    """None: the routing default."""
    base_url: str | None = None
    api_key_env: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``provider/model``: how traces and responses name the target."""
        return f"{self.provider}/{self.model}"

    def provider_config(self) -> ProviderConfig:
        """The host settings, with the API key read from the environment now."""
        api_key = None
        if self.api_key_env:
            api_key = os.environ.get(self.api_key_env)
            if not api_key:
                raise InvalidInput(
                    f"target {self.name}: environment variable {self.api_key_env} is not set"
                )
        return ProviderConfig(
            base_url=self.base_url,
            api_key=api_key,
            headers=dict(self.headers),
            options=dict(self.options),
        )

    @classmethod
    def from_dict(cls, data: object, where: str) -> TargetConfig:
        d = _fields(
            data,
            {
                "provider",
                "model",
                "weight",
                "timeout_s",
                "base_url",
                "api_key_env",
                "headers",
                "options",
            },
            where,
        )
        if "provider" not in d or "model" not in d:
            raise InvalidInput(f"{where}: a target needs 'provider' and 'model'")
        split_model(f"{d['provider']}/{d['model']}")  # known provider
        weight = _number(d.get("weight", 1.0), f"{where}.weight")
        timeout = d.get("timeout_s")
        return cls(
            provider=str(d["provider"]),
            model=str(d["model"]),
            weight=weight,
            timeout_s=None if timeout is None else _number(timeout, f"{where}.timeout_s"),
            base_url=d.get("base_url"),
            api_key_env=d.get("api_key_env"),
            headers=dict(d.get("headers") or {}),
            options=dict(d.get("options") or {}),
        )


@dataclass(frozen=True)
class ModelRoute:
    """A model alias: its targets in fallback order, each with a weight for the first pick."""

    name: str
    targets: tuple[TargetConfig, ...]

    @classmethod
    def direct(cls, model: str) -> ModelRoute:
        """The one-target route of a ``provider/model`` name used without an alias."""
        provider, name = split_model(model)
        return cls(name=model, targets=(TargetConfig(provider=provider, model=name),))


@dataclass(frozen=True)
class RoutingConfig:
    retries: int = 2
    """Retries per target on a retryable error, before falling back to the next target."""
    backoff_s: float = 0.1
    backoff_max_s: float = 2.0
    timeout_s: float = 60.0
    breaker_failures: int = 5
    """Consecutive failures that open a target's circuit breaker."""
    breaker_cooldown_s: float = 30.0
    """How long an open breaker keeps requests away from the target before one probe."""
    allow_direct_models: bool = True
    """Whether callers may name any ``provider/model`` besides the aliases (zero-config use).
    False: only the aliases (and ``default_model``) answer; any other name is a 404."""


@dataclass(frozen=True)
class CacheConfig:
    exact: bool = False
    semantic: bool = False
    threshold: float = 0.95
    """Cosine similarity at or above which a semantic match is a hit."""
    ttl_s: float | None = 3600.0
    scope: CacheScope = "project"
    embedder: str = DEFAULT_EMBEDDING_MODEL


@dataclass(frozen=True)
class AuthConfig:
    require_key: bool = False
    """When true every call must present an active virtual key."""


@dataclass(frozen=True)
class LimitsConfig:
    redis_url: str | None = None
    """Shared counters for several gateway replicas; default ``SHIPYARD_REDIS_URL``."""


@dataclass(frozen=True)
class TracingConfig:
    enabled: bool = True
    record_messages: bool = True
    """Keep prompt and answer text in spans (``gen_ai.input.messages``...)."""
    otlp_endpoint: str | None = None
    """Also export spans over OTLP/HTTP; default ``SHIPYARD_OTLP_ENDPOINT``."""


@dataclass(frozen=True)
class GatewayConfig:
    models: Mapping[str, ModelRoute] = field(default_factory=dict)
    default_model: str = DEFAULT_MODEL
    stages: tuple[str, ...] = DEFAULT_STAGES
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    tracing: TracingConfig = field(default_factory=TracingConfig)
    prices: PriceTable = field(default_factory=PriceTable)
    guards: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """``{"input": (...), "output": (...)}``: guard names, used by a later issue."""

    def route_for(self, model: str | None) -> ModelRoute:
        """The route of an alias, or the one-target route of a ``provider/model`` name."""
        name = model or self.default_model
        found = self.models.get(name)
        if found is not None:
            return found
        return ModelRoute.direct(name)

    def allows(self, model: str | None) -> bool:
        """Whether callers may ask for ``model``: any name, or only the aliases and the default
        model when ``routing.allow_direct_models`` is false."""
        if self.routing.allow_direct_models or model is None:
            return True
        return model in self.models or model == self.default_model

    def check_model(self, model: str | None) -> None:
        """``NotFound`` naming the aliases when callers may not ask for ``model``."""
        if not self.allows(model):
            shown = ", ".join(self.model_names()) or "none"
            raise NotFound(
                f"the model {model!r} is not an alias of this gateway and direct 'provider/model' "
                f"names are off (routing.allow_direct_models: false); use one of: {shown}"
            )

    def model_names(self) -> list[str]:
        """What ``/v1/models`` lists: the aliases, then every target they use (only the aliases
        and the default model when ``routing.allow_direct_models`` is false)."""
        names = list(self.models)
        if not self.routing.allow_direct_models:
            return names if self.default_model in names else [*names, self.default_model]
        for route in self.models.values():
            names.extend(t.name for t in route.targets if t.name not in names)
        if self.default_model not in names:
            names.append(self.default_model)
        return names

    @property
    def redis_url(self) -> str | None:
        return self.limits.redis_url or os.environ.get("SHIPYARD_REDIS_URL") or None

    @property
    def otlp_endpoint(self) -> str | None:
        return self.tracing.otlp_endpoint or os.environ.get("SHIPYARD_OTLP_ENDPOINT") or None

    @classmethod
    def load(cls, path: str | Path) -> GatewayConfig:
        """Read a YAML config; every mistake is one ``InvalidInput`` line naming the field."""
        import yaml

        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InvalidInput(f"gateway config {p} does not exist") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = " ".join(str(exc).split())  # one line: the CLI prints errors as one
            raise InvalidInput(f"gateway config {p} is not valid YAML: {where}") from None
        try:
            return cls.from_dict(data or {})
        except InvalidInput as exc:
            raise InvalidInput(f"gateway config {p}: {exc.message}") from None

    @classmethod
    def from_dict(cls, data: object) -> GatewayConfig:
        d = _fields(
            data,
            {
                "models",
                "default_model",
                "stages",
                "routing",
                "cache",
                "auth",
                "limits",
                "tracing",
                "prices",
                "guards",
            },
            "config",
        )
        models: dict[str, ModelRoute] = {}
        for name, body in (_fields(d.get("models"), set(d.get("models") or {}), "models")).items():
            where = f"models.{name}"
            spec = _fields(body, {"targets"}, where)
            targets = spec.get("targets")
            if not isinstance(targets, list) or not targets:
                raise InvalidInput(f"{where}: needs a non-empty list of targets")
            models[str(name)] = ModelRoute(
                name=str(name),
                targets=tuple(
                    TargetConfig.from_dict(t, f"{where}.targets[{i}]")
                    for i, t in enumerate(targets)
                ),
            )
        default_model = str(d.get("default_model", DEFAULT_MODEL))
        if default_model not in models:
            split_model(default_model)
        stages = tuple(d.get("stages") or DEFAULT_STAGES)
        for s in stages:
            if s not in STAGES and ":" not in str(s):
                raise InvalidInput(
                    f"stages: unknown stage {s!r}; built-in: {', '.join(STAGES)}, "
                    "or 'module:Class' for your own"
                )
        if not stages or stages[-1] != "route":
            raise InvalidInput("stages: the last stage must be 'route'")
        r = _fields(d.get("routing"), set(RoutingConfig.__dataclass_fields__), "routing")
        routing = RoutingConfig(
            retries=int(_number(r.get("retries", 2), "routing.retries")),
            backoff_s=_number(r.get("backoff_s", 0.1), "routing.backoff_s"),
            backoff_max_s=_number(r.get("backoff_max_s", 2.0), "routing.backoff_max_s"),
            timeout_s=_number(r.get("timeout_s", 60.0), "routing.timeout_s"),
            breaker_failures=int(
                _number(r.get("breaker_failures", 5), "routing.breaker_failures", minimum=1)
            ),
            breaker_cooldown_s=_number(
                r.get("breaker_cooldown_s", 30.0), "routing.breaker_cooldown_s"
            ),
            allow_direct_models=_flag(
                r.get("allow_direct_models", True), "routing.allow_direct_models"
            ),
        )
        c = _fields(d.get("cache"), set(CacheConfig.__dataclass_fields__), "cache")
        scope = c.get("scope", "project")
        if scope not in ("key", "project", "global"):
            raise InvalidInput(f"cache.scope must be key, project or global, got {scope!r}")
        threshold = _number(c.get("threshold", 0.95), "cache.threshold")
        if threshold > 1:
            raise InvalidInput(f"cache.threshold must be at most 1, got {threshold}")
        ttl = c.get("ttl_s", 3600.0)
        cache = CacheConfig(
            exact=bool(c.get("exact", False)),
            semantic=bool(c.get("semantic", False)),
            threshold=threshold,
            ttl_s=None if ttl is None else _number(ttl, "cache.ttl_s"),
            scope=scope,
            embedder=str(c.get("embedder", DEFAULT_EMBEDDING_MODEL)),
        )
        a = _fields(d.get("auth"), {"require_key"}, "auth")
        lim = _fields(d.get("limits"), {"redis_url"}, "limits")
        t = _fields(d.get("tracing"), set(TracingConfig.__dataclass_fields__), "tracing")
        prices = {
            str(name): Price.from_dict(body, f"prices.{name}")
            for name, body in (d.get("prices") or {}).items()
        }
        g = _fields(d.get("guards"), {"input", "output"}, "guards")
        return cls(
            models=models,
            default_model=default_model,
            stages=stages,
            routing=routing,
            cache=cache,
            auth=AuthConfig(require_key=bool(a.get("require_key", False))),
            limits=LimitsConfig(redis_url=lim.get("redis_url")),
            tracing=TracingConfig(
                enabled=bool(t.get("enabled", True)),
                record_messages=bool(t.get("record_messages", True)),
                otlp_endpoint=t.get("otlp_endpoint"),
            ),
            prices=PriceTable(prices),
            guards={k: tuple(v or ()) for k, v in g.items()},
        )
