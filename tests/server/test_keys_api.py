"""``/api/v1/keys`` behind the server token, and ``shipyard keys`` against a server URI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shipyard.cli.main import main
from shipyard.core.errors import InvalidInput, Unauthorized
from shipyard.core.settings import Settings
from shipyard.llm.keys import verify_key
from shipyard.server.app import create_app
from shipyard.workspace import Workspace, reset_workspaces

TOKEN = "server-t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(Settings.load(home=str(tmp_path / "server-home")))
    yield workspace
    workspace.close()


@pytest.fixture
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(ws, token=TOKEN)) as c:
        yield c


def test_keys_need_the_server_token(client: TestClient) -> None:
    r = client.post("/api/v1/keys", json={"project": "p"})
    assert r.status_code == 401 and r.json()["error"]["type"] == "Unauthorized"
    assert client.get("/api/v1/keys").status_code == 401
    assert client.post("/api/v1/keys/abc/revoke").status_code == 401


def test_create_list_revoke(client: TestClient, ws: Workspace) -> None:
    r = client.post(
        "/api/v1/keys",
        json={"project": "p", "name": "bot", "budget": "10/day", "rpm": 60, "models": ["fast"]},
        headers=AUTH,
    )
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    secret, key = body["secret"], body["key"]
    assert verify_key(secret, workspace=ws).id == key["id"]
    assert (key["budget_usd"], key["budget_period"], key["models"]) == (10.0, "day", ["fast"])

    listed = client.get("/api/v1/keys", headers=AUTH).json()["keys"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert listed[0]["status"] == "active" and listed[0]["usage"]["spent_usd"] == 0
    assert secret not in json.dumps(listed) and "key_hash" not in listed[0]
    got = client.get(f"/api/v1/keys/{key['id'][:8]}", headers=AUTH).json()["key"]
    assert got["name"] == "bot" and secret not in json.dumps(got)
    usage = client.get(f"/api/v1/keys/{key['id']}/usage", headers=AUTH).json()["usage"]
    assert usage["requests_this_minute"] == 0 and usage["rpm"] == 60

    r = client.post(f"/api/v1/keys/{key['id']}/revoke", headers=AUTH)
    assert r.status_code == 200 and r.json()["key"]["status"] == "revoked"
    with pytest.raises(Unauthorized, match="revoked"):
        verify_key(secret, workspace=ws)
    assert client.get("/api/v1/keys", headers=AUTH).json()["keys"] == []
    (revoked,) = client.get("/api/v1/keys", params={"all": "true"}, headers=AUTH).json()["keys"]
    assert revoked["usage"] is None


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"project": "p", "budget": "lots"}, 400, "budget must look like 10/day"),
        ({"project": "p", "color": "red"}, 400, "unknown field(s) color"),
        ({"project": "p", "models": "fast"}, 400, "models must be a list"),
        ({"project": "p", "expires_in_s": "soon"}, 400, "expires_in_s must be a number"),
        ({"name": "x"}, 400, "a key needs a project"),
        # wrongly typed fields are the caller's mistake (400), never an internal error (500)
        ({"project": "p", "budget_usd": "abc"}, 400, "budget_usd must be a number"),
        ({"project": "p", "budget_usd": [1]}, 400, "budget_usd must be a number"),
        ({"project": "p", "budget_usd": True}, 400, "budget_usd must be a number"),
        ({"project": "p", "budget_usd": 5, "budget_period": 7}, 400, "budget_period must be"),
        ({"project": "p", "budget": [10]}, 400, "budget must be text"),
        ({"project": "p", "name": 5}, 400, "name must be text"),
        ({"project": 5}, 400, "a key needs a project"),
        ({"project": ["p"]}, 400, "a key needs a project"),
        ({"project": "p", "rpm": "60"}, 400, "rpm must be a whole number"),
        ({"project": "p", "tpm": 1.5}, 400, "tpm must be a whole number"),
        ({"project": "p", "models": [1]}, 400, "models must be a list"),
        ({"project": "p", "expires_in_s": [1]}, 400, "expires_in_s must be a number"),
    ],
)
def test_bad_requests(client: TestClient, body: dict, status: int, message: str) -> None:
    r = client.post("/api/v1/keys", json=body, headers=AUTH)
    assert r.status_code == status and message in r.json()["error"]["message"], r.text


def test_unknown_key_is_404(client: TestClient) -> None:
    r = client.post("/api/v1/keys/nope/revoke", headers=AUTH)
    assert r.status_code == 404 and "no virtual key 'nope'" in r.json()["error"]["message"]


def test_an_unknown_pasted_secret_is_not_echoed(client: TestClient) -> None:
    secret = "sk-sy-" + "Q" * 32
    for r in (
        client.get(f"/api/v1/keys/{secret}", headers=AUTH),
        client.post(f"/api/v1/keys/{secret}/revoke", headers=AUTH),
    ):
        assert r.status_code == 404, r.text
        assert "no key has that secret" in r.json()["error"]["message"]
        assert "QQQQ" not in r.text


def test_cli_against_a_server_uri(
    ws: Workspace, serve_app, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    with serve_app(create_app(ws, token=TOKEN)) as server:
        monkeypatch.setenv("SHIPYARD_URI", server.url)
        monkeypatch.setenv("SHIPYARD_TOKEN", TOKEN)
        reset_workspaces()
        assert main(["keys", "create", "--project", "remote", "--budget-usd", "3/week"]) == 0
        secret = capsys.readouterr().out.strip()
        assert verify_key(secret, workspace=ws).project == "remote"  # stored on the server
        assert main(["keys", "list", "--json"]) == 0
        (listed,) = json.loads(capsys.readouterr().out)
        assert listed["usage"]["spent_usd"] == 0 and listed["budget_period"] == "week"
        unknown = "sk-sy-" + "Z" * 32
        assert main(["keys", "revoke", unknown]) == 2  # a wrong secret: not echoed, not in a URL
        err = capsys.readouterr().err
        assert "ZZZZ" not in err and "no key has that secret" in err
        assert main(["keys", "revoke", listed["id"][:8]]) == 0
        with pytest.raises(Unauthorized):
            verify_key(secret, workspace=ws)
        from shipyard.workspace import current_workspace

        with pytest.raises(InvalidInput, match="needs direct database access"):
            verify_key(secret, workspace=current_workspace())
