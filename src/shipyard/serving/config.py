"""What ``shipyard serve`` was asked to do: one frozen settings object for a model server."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from shipyard.core.errors import InvalidInput
from shipyard.core.refs import check_alias


@dataclass(frozen=True)
class ServeConfig:
    """Settings of one model server.

    Attributes:
        source: ``model:NAME@ALIAS`` (follows the alias), ``model:NAME@3`` (fixed),
            or a local model folder (fixed).
        split: alias → traffic weight; requests are spread over these aliases of
            the source's model. ``None`` serves the source alone.
        shadow: an alias that gets a copy of every request after the answer went out;
            its predictions are logged, never returned.
        max_batch_size: most rows in one ``predict`` call.
        max_wait_ms: how long a batch may wait for more requests (0: never wait; batches
            still grow under load, while the model is busy with the previous one).
        reload_interval: seconds between checks of where the aliases point.
        heartbeat_interval: seconds between the deployment's heartbeats.
        name: the deployment's name (default: the model's name).
        log_predictions: write every prediction to the prediction log.
        trust: load model files that run code (python-class models, unknown skops types).
        log_queue_size: predictions waiting for the log writer before new ones are dropped.
    """

    source: str
    split: Mapping[str, float] | None = None
    shadow: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    max_batch_size: int = 64
    max_wait_ms: float = 0.0
    reload_interval: float = 2.0
    heartbeat_interval: float = 5.0
    name: str | None = None
    log_predictions: bool = True
    trust: bool = False
    log_queue_size: int = 10_000
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_batch_size < 1:
            raise InvalidInput(f"--max-batch-size must be at least 1, got {self.max_batch_size}")
        if not (math.isfinite(self.max_wait_ms) and 0 <= self.max_wait_ms <= 10_000):
            raise InvalidInput(f"--max-wait-ms must be between 0 and 10000, got {self.max_wait_ms}")
        for what, value in (
            ("--reload-interval", self.reload_interval),
            ("heartbeat interval", self.heartbeat_interval),
        ):
            if not (math.isfinite(value) and value > 0):
                raise InvalidInput(f"{what} must be a positive number of seconds, got {value}")
        if not 0 <= self.port <= 65535:
            raise InvalidInput(f"--port must be between 0 and 65535, got {self.port}")
        if self.log_queue_size < 1:
            raise InvalidInput("the prediction log queue needs room for at least one prediction")
        if self.shadow is not None:
            check_alias(self.shadow)
            if self.split and self.shadow in self.split:
                raise InvalidInput(
                    f"--shadow {self.shadow} also takes live traffic in --split; a shadow alias "
                    "only gets copies, so leave it out of the split"
                )


def parse_split(text: str) -> dict[str, float]:
    """``production=90,challenger=10`` → ``{"production": 90.0, "challenger": 10.0}``.

    Weights are relative (they need not add up to 100) and must be positive.
    """
    weights: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        alias, sep, weight = part.partition("=")
        alias = alias.strip()
        if not sep:
            raise InvalidInput(
                f"--split part {part!r} has no weight; write ALIAS=WEIGHT, e.g. {alias}=90"
            )
        check_alias(alias)
        try:
            value = float(weight)
        except ValueError:
            raise InvalidInput(
                f"--split weight {weight.strip()!r} for {alias} is not a number"
            ) from None
        if not (math.isfinite(value) and value > 0):
            raise InvalidInput(
                f"--split weight for {alias} must be a positive number, got {weight.strip()}"
            )
        if alias in weights:
            raise InvalidInput(f"--split names {alias} twice")
        weights[alias] = value
    if not weights:
        raise InvalidInput("--split is empty; write e.g. production=90,challenger=10")
    return weights
