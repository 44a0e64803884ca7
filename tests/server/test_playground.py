"""The prompt playground: ``/api/v1/prompts`` (list, read, check, run, save) and its pages."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import shipyard as sy
from shipyard.cli.main import main
from shipyard.core.refs import parse_ref
from shipyard.core.settings import Settings
from shipyard.llm.config import GatewayConfig
from shipyard.server.app import create_app
from shipyard.workspace import Workspace, current_workspace

TOKEN = "play-t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SUPPORT = [
    {"role": "system", "content": "You answer questions about {{ product }}."},
    {"role": "user", "content": "{{ question }}"},
]
ECHO_SETTINGS = {"provider": "echo", "model": "echo", "temperature": 0.2, "max_tokens": 20}
VARS = {"product": "shipyard", "question": "How do I roll back?"}


@pytest.fixture
def ws() -> Workspace:
    return current_workspace()


@pytest.fixture
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(ws)) as c:
        yield c


@pytest.fixture
def support(ws: Workspace) -> str:
    sy.prompts.create("support", SUPPORT, model=ECHO_SETTINGS, workspace=ws)
    return sy.prompts.create(
        "support", SUPPORT, model={**ECHO_SETTINGS, "temperature": 0.7}, workspace=ws
    ).ref


def run(client: TestClient, name: str = "support", **body: Any) -> Any:
    return client.post(f"/api/v1/prompts/{name}/run", json=body)


def test_run_a_version_on_the_echo_model(client: TestClient, support: str) -> None:
    r = run(client, variables=VARS)
    assert r.status_code == 200, r.text
    out = r.json()
    # the prompt's own model; two messages make a chat
    assert (out["mode"], out["requested_model"], out["model"]) == ("chat", "echo/echo", "echo/echo")
    assert out["text"] == "echo: How do I roll back?"
    assert (out["prompt_ref"], out["draft"]) == ("prompt:support@2", False)
    assert out["sent"][0] == {"role": "system", "content": "You answer questions about shipyard."}
    assert out["usage"]["prompt_tokens"] == 10 and out["usage"]["completion_tokens"] == 6
    assert out["latency_ms"] > 0 and out["cost_usd"] == 0.0
    trace = client.get(out["trace_url"])  # stored before the answer: the link works at once
    assert trace.status_code == 200 and "prompt:support@2" in trace.text

    one = run(client, version=1, variables=VARS, model="echo/small", mode="completion").json()
    assert (one["prompt_ref"], one["model"], one["mode"]) == (
        "prompt:support@1",
        "echo/small",
        "completion",
    )
    assert one["sent"].startswith("System: You answer questions about shipyard.")


def test_a_one_message_template_runs_as_a_completion(client: TestClient, ws: Workspace) -> None:
    sy.prompts.create("qa", "Q: {{ q }}\nA: 4\nQ: {{ q }} again\nA:", workspace=ws)
    out = run(client, "qa", variables={"q": "2+2?"}, model="echo/echo").json()
    assert (out["mode"], out["text"]) == ("completion", "A:")  # echo answers the last line
    assert out["sent"] == "Q: 2+2?\nA: 4\nQ: 2+2? again\nA:"


def test_mistakes_are_json_errors_of_one_line(client: TestClient, support: str) -> None:
    def error(r: Any, status: int) -> str:
        assert r.status_code == status, r.text
        message: str = r.json()["error"]["message"]
        assert "\n" not in message and "Traceback" not in message
        return message

    assert "'question'" in error(run(client, variables={"product": "x"}), 400)
    assert "not use variable(s) 'extra'" in error(run(client, variables={**VARS, "extra": 1}), 400)
    assert "unknown provider 'nope'" in error(run(client, variables=VARS, model="nope/x"), 400)
    assert "no prompt named 'ghost'" in error(run(client, "ghost", variables=VARS), 404)
    assert "no version 9" in error(run(client, version=9, variables=VARS), 404)
    assert "temperature" in error(run(client, variables=VARS, temperature=5), 422)
    assert "colour" in error(run(client, variables=VARS, colour="red"), 422)
    bad = run(client, variables=VARS, messages=[{"role": "user", "content": "{{ oops "}])
    assert "prompt messages[0] (user), line 1" in error(bad, 400)
    assert "role" in error(
        run(client, variables={}, messages=[{"role": "boss", "content": "x"}]), 400
    )


def test_a_provider_failure_is_one_readable_line(ws: Workspace, support: str) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = {"provider": "openai", "model": "m", "base_url": f"http://127.0.0.1:{port}/v1"}
    config = {"models": {"down": {"targets": [target]}}, "routing": {"retries": 0}}
    with TestClient(create_app(ws, gateway=GatewayConfig.from_dict(config))) as c:
        r = run(c, variables=VARS, model="down")
    assert r.status_code >= 500 and r.json()["error"]["type"] == "ProviderError", r.text
    assert "\n" not in r.json()["error"]["message"]


def test_an_unsaved_edit_runs_without_a_version(client: TestClient, support: str) -> None:
    edit = [{"role": "user", "content": "Summarise {{ text }}"}]
    out = run(client, variables={"text": "the docs"}, messages=edit, model="echo/echo").json()
    assert (out["text"], out["draft"], out["prompt_ref"]) == ("Summarise the docs", True, None)
    assert out["base_ref"] == "prompt:support@2" and out["mode"] == "completion"  # one message now
    same = run(client, version=2, variables=VARS, messages=SUPPORT).json()
    assert (same["draft"], same["prompt_ref"]) == (False, "prompt:support@2")


def test_check_lists_the_variables_of_an_edit(client: TestClient, support: str) -> None:
    edit = [{"role": "user", "content": "{{ b }} {% for x in items %}{{ x }}{% endfor %} {{ a }}"}]
    r = client.post("/api/v1/prompts/support/check", json={"messages": edit})
    assert r.status_code == 200, r.text
    assert r.json() == {"variables": ["a", "b", "items"]}
    r = client.post("/api/v1/prompts/support/check", json={"messages": []})
    assert r.status_code == 400 and "at least one message" in r.json()["error"]["message"]


def test_save_an_edit_as_the_next_version(client: TestClient, support: str, ws: Workspace) -> None:
    edit = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "{{ question }}"},
    ]
    r = client.post("/api/v1/prompts/support/versions", json={"messages": edit, "base": 1})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert (saved["ref"], saved["created"]) == ("prompt:support@3", True)
    spec = sy.prompts.get("prompt:support@3", workspace=ws)
    assert [m.to_dict() for m in spec.messages] == edit
    assert (
        spec.model is not None and spec.model.temperature == 0.2
    )  # the base's settings carried over

    again = client.post("/api/v1/prompts/support/versions", json={"messages": edit, "base": 1})
    assert (again.json()["ref"], again.json()["created"]) == ("prompt:support@3", False)
    assert sorted(v.version for v in ws.store.assets.versions("prompt", "support")) == [1, 2, 3]

    settings = {"provider": "echo", "model": "small", "temperature": 0.0, "max_tokens": 5}
    body = {"messages": edit, "base": "latest", "model": settings}
    new = client.post("/api/v1/prompts/support/versions", json=body).json()
    assert (new["ref"], new["created"]) == ("prompt:support@4", True)
    assert sy.prompts.get("prompt:support@4", workspace=ws).model.model == "small"  # type: ignore[union-attr]
    assert run(client, version=4, variables={"question": "hi"}).json()["model"] == "echo/small"

    bad = client.post(
        "/api/v1/prompts/support/versions",
        json={"messages": [{"role": "user", "content": "{% if %}"}]},
    )
    assert bad.status_code == 400 and "prompt messages[0]" in bad.json()["error"]["message"]
    first = client.post("/api/v1/prompts/brand-new/versions", json={"messages": edit})
    assert (first.json()["ref"], first.json()["created"]) == ("prompt:brand-new@1", True)


def test_list_and_read_versions(client: TestClient, support: str, capsys: Any) -> None:
    sy.prompts.create("plain", "Hello {{ name }}")
    current_workspace().store.aliases.move(parse_ref("prompt:support@1"), "production")
    listed = client.get("/api/v1/prompts").json()["prompts"]
    rows = {
        p["name"]: (p["latest_version"], p["variables"], p["model"], p["aliases"]) for p in listed
    }
    assert rows == {
        "plain": (1, ["name"], None, {}),
        "support": (2, ["product", "question"], "echo/echo", {"production": 1}),
    }
    assert main(["prompts", "list", "--json"]) == 0  # the CLI lists the same rows
    assert json.loads(capsys.readouterr().out) == listed

    got = client.get("/api/v1/prompts/support/versions/1").json()
    assert got["ref"] == "prompt:support@1" and got["spec"]["model"]["temperature"] == 0.2
    assert got["variables"] == ["product", "question"]
    assert client.get("/api/v1/prompts/support/versions/latest").json()["version"] == 2
    assert client.get("/api/v1/prompts/support/versions/nope").status_code == 404
    assert client.get("/api/v1/prompts/bad name/versions/1").status_code == 400


def test_everything_needs_the_token_and_writes_a_same_site_page(
    tmp_path: Path, support: str
) -> None:
    server = Workspace.open(Settings.load(home=str(tmp_path / "server-home")))
    sy.prompts.create("support", SUPPORT, model=ECHO_SETTINGS, workspace=server)
    try:
        with TestClient(create_app(server, token=TOKEN)) as c:
            for method, url, body in [
                ("GET", "/api/v1/prompts", None),
                ("GET", "/api/v1/prompts/support/versions/1", None),
                ("POST", "/api/v1/prompts/support/run", {"variables": VARS}),
                ("POST", "/api/v1/prompts/support/versions", {"messages": SUPPORT}),
                ("POST", "/api/v1/prompts/support/check", {"messages": SUPPORT}),
            ]:
                r = c.request(method, url, json=body)
                assert r.status_code == 401 and r.json()["error"]["type"] == "Unauthorized", url
            page = c.get("/ui/prompts/support/playground", follow_redirects=False)
            assert page.status_code == 303 and page.headers["location"].startswith("/ui/login")

            assert run(c, variables=VARS).status_code == 401
            ok = c.post("/api/v1/prompts/support/run", json={"variables": VARS}, headers=AUTH)
            assert ok.status_code == 200, ok.text
            c.cookies.set("shipyard_token", TOKEN)  # what /ui/login leaves in the browser
            assert c.get("/ui/prompts/support/playground").status_code == 200
            assert run(c, variables=VARS).status_code == 200
            foreign = c.post(
                "/api/v1/prompts/support/versions",
                json={"messages": [{"role": "user", "content": "pwned"}]},
                headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
            )
            assert foreign.status_code == 403 and foreign.json()["error"]["type"] == "Forbidden"
            assert len(server.store.assets.versions("prompt", "support")) == 1
    finally:
        server.close()


def test_a_mounted_gateway_serves_the_runs(ws: Workspace, support: str) -> None:
    config = {
        "models": {"helpdesk": {"targets": [{"provider": "echo", "model": "echo"}]}},
        "prices": {"echo/echo": {"input": 2.5, "output": 10.0}},
    }
    with TestClient(create_app(ws, gateway=GatewayConfig.from_dict(config))) as c:
        out = run(c, variables=VARS, model="helpdesk").json()
        page = c.get("/ui/prompts/support/playground").text
    assert (out["requested_model"], out["model"]) == ("helpdesk", "echo/echo")
    assert out["cost_usd"] == pytest.approx((10 * 2.5 + 6 * 10.0) / 1e6)
    assert '<option value="helpdesk">' in page


def test_prompts_page_lists_prompts_with_playground_links(
    client: TestClient, ws: Workspace
) -> None:
    empty = client.get("/ui/prompts")
    assert empty.status_code == 200 and "No prompts yet" in empty.text
    sy.prompts.create("support", SUPPORT, model=ECHO_SETTINGS, workspace=ws)
    html = client.get("/ui/prompts").text
    assert 'href="/ui/prompts/support/playground"' in html
    assert "<code>echo/echo</code>" in html and '<code class="var-chip">product</code>' in html
    assert 'href="/ui/prompts" class="current"' in html  # the sidebar's Playground link


def test_playground_page_shows_a_version_ready_to_run(
    client: TestClient, support: str, ws: Workspace
) -> None:
    ws.store.aliases.move(parse_ref("prompt:support@1"), "production")
    html = client.get("/ui/prompts/support/playground").text
    assert '<code class="pg-ref" data-ref>prompt:support@2</code>' in html
    assert re.search(r'<option value="2" selected>2 \(latest\)</option>', html)
    assert '<option value="1">1 (production)</option>' in html
    assert "You answer questions about {{ product }}.</textarea>" in html
    assert 'data-variable="product"' in html and 'data-variable="question"' in html
    assert 'data-model value="echo/echo"' in html and 'value="0.7"' in html
    assert '<option value="chat" selected>' in html
    assert '<option value="local/gemma-3-270m">' in html
    assert '<script src="/static/playground.js' in html
    data = re.search(r'<script type="application/json" id="playground-data">(.*?)</script>', html)
    assert data and json.loads(data.group(1))["ref"] == "prompt:support@2"

    older = client.get("/ui/prompts/support/playground?version=production").text
    assert "prompt:support@1" in older and 'value="0.2"' in older
    missing = client.get("/ui/prompts/support/playground?version=7")
    assert missing.status_code == 404 and "no version 7" in missing.text
    assert client.get("/ui/prompts/ghost/playground").status_code == 404
    assert client.get("/static/playground.js").status_code == 200
    assert client.get("/static/playground.css").status_code == 200
