"""The request path: the configured chain of stages that every LLM call passes.

The Python API (``sy.llm.chat``) and the HTTP gateway both hold one
``RequestPath`` and call ``run``; nothing else decides how a call is handled.
"""

from __future__ import annotations

import importlib
from typing import Any

from shipyard.llm.config import STAGES, GatewayConfig
from shipyard.llm.stages.base import Call, Chain, Stage
from shipyard.llm.types import LLMRequest, Outcome
from shipyard.workspace import Workspace


class RequestPath:
    """A gateway config and a workspace turned into a chain of stages."""

    def __init__(self, config: GatewayConfig | None = None, workspace: Workspace | None = None):
        from shipyard.workspace import current_workspace

        self.config = config or GatewayConfig()
        self.workspace = workspace or current_workspace()
        self.stages: list[Stage] = [
            _build(name, self.config, self.workspace) for name in self.config.stages
        ]
        self.chain = Chain(self.stages)

    def run(
        self, request: LLMRequest, *, credential: str | None = None, cache: bool = True
    ) -> Outcome:
        """Send ``request`` through every stage; a stream is returned unconsumed."""
        return self.chain(Call(request=request, credential=credential, cache=cache))

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def close(self) -> None:
        for stage in self.stages:
            close = getattr(stage, "close", None)
            if close is not None:
                close()


def _build(name: str, config: GatewayConfig, workspace: Workspace) -> Stage:
    target = STAGES.get(name, name)
    module, _, attr = target.partition(":")
    cls: Any = getattr(importlib.import_module(module), attr)
    stage: Stage = cls(config, workspace)
    return stage
