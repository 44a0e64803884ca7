"""The guard hooks of the request path: input guards before the cache, output guards after routing.

A guard looks at a request (input) or an answer (output) and returns a
verdict: let it pass, change it, or block it. This issue ships the hooks with
no guards configured, so both stages pass everything through; the guardrails
work adds guards to ``GUARDS`` and names them in the config's ``guards:``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from shipyard.core.errors import InvalidInput
from shipyard.llm.stages.base import Call, Next
from shipyard.llm.types import LLMRequest, LLMResponse, Outcome, ResponseStream
from shipyard.tracing import span

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.workspace import Workspace

GUARDS: dict[str, str] = {}
"""Guard names → lazy ``"module:Class"`` strings; empty until guards exist."""


@dataclass(frozen=True)
class Verdict:
    action: Literal["pass", "block"] = "pass"
    reason: str = ""


class Guard(Protocol):
    name: str

    def check_input(self, request: LLMRequest) -> Verdict: ...
    def check_output(self, request: LLMRequest, response: LLMResponse) -> Verdict: ...


class GuardBlocked(InvalidInput):
    """Raised when a guard blocks a request or an answer."""


def _load(names: tuple[str, ...]) -> list[Guard]:
    guards: list[Guard] = []
    for name in names:
        target = GUARDS.get(name, name)
        if ":" not in target:
            raise InvalidInput(f"guards: unknown guard {name!r}")
        module, _, attr = target.partition(":")
        cls: Any = getattr(importlib.import_module(module), attr)
        guards.append(cls())
    return guards


class InputGuardStage:
    """Runs the configured input guards (none by default) inside an ``input_guards`` span."""

    name = "input_guards"

    def __init__(self, config: GatewayConfig, workspace: Workspace) -> None:
        self.guards = _load(config.guards.get("input", ()))
        self.workspace = workspace

    def handle(self, call: Call, next: Next) -> Outcome:
        with span("input_guards", kind="stage", workspace=self.workspace) as s:
            s.set_attribute("shipyard.guards", [g.name for g in self.guards])
            for guard in self.guards:
                verdict = guard.check_input(call.request)
                if verdict.action == "block":
                    s.set_attribute("shipyard.guard.blocked_by", guard.name)
                    raise GuardBlocked(
                        f"input guard {guard.name} blocked the request: {verdict.reason}"
                    )
        return next(call)


class OutputGuardStage:
    """Runs the configured output guards on the whole answer (at the end of a stream)."""

    name = "output_guards"

    def __init__(self, config: GatewayConfig, workspace: Workspace) -> None:
        self.guards = _load(config.guards.get("output", ()))
        self.workspace = workspace

    def handle(self, call: Call, next: Next) -> Outcome:
        outcome = next(call)
        if isinstance(outcome, ResponseStream):
            outcome.on_complete(lambda response: self._check(call, response))
            return outcome
        self._check(call, outcome)
        return outcome

    def _check(self, call: Call, response: LLMResponse) -> None:
        with span("output_guards", kind="stage", workspace=self.workspace) as s:
            s.set_attribute("shipyard.guards", [g.name for g in self.guards])
            for guard in self.guards:
                verdict = guard.check_output(call.request, response)
                if verdict.action == "block":
                    s.set_attribute("shipyard.guard.blocked_by", guard.name)
                    raise GuardBlocked(
                        f"output guard {guard.name} blocked the answer: {verdict.reason}"
                    )
