"""The guard hooks: no-ops by default, and a guard placed in them blocks requests and answers."""

from __future__ import annotations

import pytest

from shipyard.llm.config import GatewayConfig
from shipyard.llm.path import RequestPath
from shipyard.llm.stages.guards import GuardBlocked, InputGuardStage, Verdict
from shipyard.llm.types import LLMRequest, LLMResponse
from shipyard.workspace import current_workspace


class NoSecrets:
    name = "no-secrets"

    def check_input(self, request: LLMRequest) -> Verdict:
        if "password" in request.prompt_text():
            return Verdict("block", "the prompt contains a password")
        return Verdict()

    def check_output(self, request: LLMRequest, response: LLMResponse) -> Verdict:
        if "secret" in response.text:
            return Verdict("block", "the answer mentions a secret")
        return Verdict()


def _path() -> RequestPath:
    return RequestPath(GatewayConfig(), current_workspace())


def test_the_default_chain_has_both_guard_stages_and_they_pass_everything() -> None:
    path = _path()
    assert path.chain.names == [
        "trace",
        "auth",
        "limits",
        "input_guards",
        "cache",
        "output_guards",
        "route",
    ]
    assert isinstance(path.stage("input_guards"), InputGuardStage)
    assert path.stage("input_guards").guards == []  # type: ignore[attr-defined]
    out = path.run(LLMRequest.chat("echo/echo", [{"role": "user", "content": "my password"}]))
    assert isinstance(out, LLMResponse) and "password" in out.text


def test_a_guard_in_the_hooks_blocks_input_and_output_also_at_the_end_of_a_stream() -> None:
    path = _path()
    path.stage("input_guards").guards = [NoSecrets()]  # type: ignore[attr-defined]
    path.stage("output_guards").guards = [NoSecrets()]  # type: ignore[attr-defined]
    with pytest.raises(GuardBlocked, match="password"):
        path.run(LLMRequest.chat("echo/echo", [{"role": "user", "content": "my password"}]))
    with pytest.raises(GuardBlocked, match="secret"):
        path.run(LLMRequest.chat("echo/echo", [{"role": "user", "content": "a secret"}]))
    stream = path.run(
        LLMRequest.chat("echo/echo", [{"role": "user", "content": "a secret"}], stream=True)
    )
    with pytest.raises(GuardBlocked):
        list(stream)  # type: ignore[arg-type]
    fine = path.run(LLMRequest.chat("echo/echo", [{"role": "user", "content": "hello"}]))
    assert isinstance(fine, LLMResponse)


def test_an_unknown_guard_name_is_a_clear_error() -> None:
    config = GatewayConfig.from_dict({"guards": {"input": ["pii"]}})
    with pytest.raises(Exception, match="unknown guard 'pii'"):
        RequestPath(config, current_workspace())


def test_both_guard_hooks_have_a_span_even_with_no_guards() -> None:
    from shipyard.tracing import flush_traces

    out = _path().run(LLMRequest.chat("echo/echo", [{"role": "user", "content": "hi"}]))
    assert isinstance(out, LLMResponse) and out.trace_id
    flush_traces()
    _, spans = current_workspace().store.traces.get(out.trace_id)
    names = [s.name for s in spans if s.kind == "stage"]
    assert "input_guards" in names and "output_guards" in names
