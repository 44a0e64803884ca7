"""The auth stage: no key, a good key, a revoked key, a key limited to some models.

The last test sends calls through the whole request path (trace, auth,
limits, route to ``echo``) and then searches the stored traces and the
database files for the secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.core.errors import Forbidden, Unauthorized
from shipyard.core.settings import Settings
from shipyard.llm.config import GatewayConfig
from shipyard.llm.keys import create_key, revoke_key
from shipyard.llm.path import RequestPath
from shipyard.llm.stages.auth import AuthStage, check_model
from shipyard.llm.stages.base import Call, Chain
from shipyard.llm.types import LLMRequest, LLMResponse, Outcome
from shipyard.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(Settings.load(home=str(tmp_path / "auth-home")))
    yield workspace
    workspace.close()


class Answer:
    """The end of the chain: records the call it saw and answers."""

    name = "route"

    def __init__(self) -> None:
        self.seen: list[Call] = []

    def handle(self, call: Call, next: object) -> Outcome:
        self.seen.append(call)
        return LLMResponse(model="echo/x", text="ok")


def chain(ws: Workspace, **auth: object) -> tuple[Chain, Answer]:
    config = GatewayConfig.from_dict({"auth": auth} if auth else {})
    end = Answer()
    return Chain([AuthStage(config, ws), end]), end


def call(model: str = "echo/x", credential: str | None = None) -> Call:
    return Call(LLMRequest.chat(model, [{"role": "user", "content": "hi"}]), credential=credential)


def test_no_key_passes_unless_required(ws: Workspace) -> None:
    open_chain, end = chain(ws)
    assert open_chain(call()).text == "ok"
    assert end.seen[0].key is None and end.seen[0].project is None
    closed, end = chain(ws, require_key=True)
    with pytest.raises(Unauthorized, match="this gateway needs a virtual key: send 'Authorization"):
        closed(call())
    assert end.seen == []


def test_a_key_sets_key_and_project(ws: Workspace) -> None:
    key, secret = create_key("support", name="bot", workspace=ws)
    c, end = chain(ws, require_key=True)
    c(call(credential=secret))
    seen = end.seen[0]
    assert seen.key == key and seen.project == "support" and seen.key_id == key.id
    assert seen.attributes == {"shipyard.key_id": key.id, "shipyard.project": "support"}


def test_a_revoked_key_is_refused_on_the_next_call(ws: Workspace) -> None:
    key, secret = create_key("p", name="bot", workspace=ws)
    c, end = chain(ws)
    c(call(credential=secret))
    revoke_key(key.id, workspace=ws)
    with pytest.raises(Unauthorized, match="the key 'bot' is revoked"):
        c(call(credential=secret))
    with pytest.raises(Unauthorized, match="unknown key"):
        c(call(credential="sk-sy-" + "x" * 32))
    assert len(end.seen) == 1


def test_a_key_may_call_only_its_models(ws: Workspace) -> None:
    _, secret = create_key("p", name="bot", models=["fast", "openai/*"], workspace=ws)
    c, end = chain(ws)
    c(call("fast", credential=secret))
    c(call("openai/gpt-4o-mini", credential=secret))
    with pytest.raises(Forbidden) as e:
        c(call("anthropic/claude-3-5-haiku", credential=secret))
    assert e.value.message == (
        "key 'bot' may not call 'anthropic/claude-3-5-haiku'; it may call only: fast, openai/*"
    )
    assert e.value.status == 403 and len(end.seen) == 2


def test_check_model_with_no_restriction() -> None:
    from shipyard.llm.key_records import VirtualKey

    check_model(VirtualKey(id="i", name="n", project="p", prefix="sk-sy-abcd"), "any/model")


def test_the_secret_is_nowhere_in_traces_or_tables(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    from shipyard.tracing import flush_traces

    caplog.set_level("DEBUG")
    config = GatewayConfig.from_dict(
        {"stages": ["trace", "auth", "limits", "route"], "auth": {"require_key": True}}
    )
    key, secret = create_key("p", name="bot", rpm=100, budget="1/day", workspace=ws)
    path = RequestPath(config, ws)
    try:
        answer = path.run(
            LLMRequest.chat("echo/x", [{"role": "user", "content": "hello"}]), credential=secret
        )
        assert answer.text == "echo: hello"
        with pytest.raises(Unauthorized):
            path.run(
                LLMRequest.chat("echo/x", [{"role": "user", "content": "again"}]),
                credential=secret[:-1] + ("A" if secret[-1] != "A" else "B"),
            )
    finally:
        path.close()
    assert flush_traces()
    traces = ws.store.traces.list(_query())
    assert len(traces) == 2
    dumped = []
    for t in traces:
        record, spans = ws.store.traces.get(t.trace_id)
        dumped.append(repr(record))
        dumped.extend(repr(s) for s in spans)
        assert "auth" in {s.name for s in spans}
    _, spans = ws.store.traces.get(traces[-1].trace_id)  # the first call: admitted
    (limits,) = [s for s in spans if s.name == "limits"]
    assert limits.kind == "stage" and limits.attributes["shipyard.limits.counters"] == "sql"
    assert limits.attributes["shipyard.limits.requests_remaining"] == 99
    assert limits.attributes["shipyard.limits.budget_remaining_usd"] == 1.0
    text = "\n".join(dumped)
    assert key.id in text and "auth" in text
    assert secret not in text and secret[:-1] not in text
    assert secret not in caplog.text
    home = ws.settings.home
    for file in home.rglob("*"):
        if file.is_file():
            assert secret.encode() not in file.read_bytes(), file


def _query():  # type: ignore[no-untyped-def]
    from shipyard.store.trace_records import TraceQuery

    return TraceQuery()
