"""The REST API through TestClient: shapes, status codes and the JSON error body."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shipyard.core.settings import Settings
from shipyard.server.app import create_app
from shipyard.workspace import Workspace


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    ws = Workspace.open(Settings.load(home=str(tmp_path / "api-home")))
    with TestClient(create_app(ws)) as c:
        yield c
    ws.close()


def _run(client: TestClient) -> dict:
    exp = client.post("/api/v1/experiments", json={"name": "e"}).json()
    r = client.post(
        "/api/v1/runs", json={"experiment_id": exp["id"], "name": "r", "params": {"lr": 0.1}}
    )
    assert r.status_code == 200, r.text
    return r.json()


def error_of(r) -> dict:  # type: ignore[no-untyped-def]
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
    return body["error"]


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/runs/search" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_health(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"


def test_run_lifecycle_over_rest(client: TestClient) -> None:
    run = _run(client)
    batch = {
        "metrics": [
            {"key": "loss", "value": 0.5, "step": 0, "timestamp": 1},
            {"key": "loss", "value": "NaN", "step": 1, "timestamp": 2},
        ],
        "tags": {"t": "v"},
    }
    assert client.post(f"/api/v1/runs/{run['id']}/batch", json=batch).status_code == 204
    hist = client.get(f"/api/v1/runs/{run['id']}/metric-history", params={"key": "loss"}).json()
    assert [p["value"] for p in hist["points"]] == [0.5, "NaN"]
    done = client.post(f"/api/v1/runs/{run['id']}/finish", json={"status": "finished"}).json()
    assert done["status"] == "finished" and done["tags"] == {"t": "v"}
    found = client.post("/api/v1/runs/search", json={"filter": "params.lr = 0.1"}).json()
    assert [r["id"] for r in found["runs"]] == [run["id"]]
    assert client.delete(f"/api/v1/runs/{run['id']}").status_code == 204
    assert client.get(f"/api/v1/runs/{run['id']}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "type_"),
    [
        ("get", "/api/v1/runs/abcdef0123", None, 404, "NotFound"),
        ("get", "/api/v1/experiments/nope", None, 404, "NotFound"),
        ("post", "/api/v1/runs/search", {"filter": "metrics.x >"}, 400, "InvalidInput"),
        ("post", "/api/v1/runs", {"experiment_id": "x"}, 422, "InvalidInput"),
        ("post", "/api/v1/runs/search", {"max_results": 0}, 400, "InvalidInput"),
        ("get", "/api/v1/blobs/../../etc/passwd", None, 404, "NotFound"),
        ("get", "/api/v1/blobs/not-a-digest", None, 400, "InvalidInput"),
    ],
)
def test_errors_are_json_with_the_right_status(client, method, path, body, status, type_) -> None:
    r = getattr(client, method)(path, **({"json": body} if body is not None else {}))
    assert r.status_code == status, r.text
    assert error_of(r)["type"] == type_


def test_param_conflict_is_409(client: TestClient) -> None:
    run = _run(client)
    r = client.post(f"/api/v1/runs/{run['id']}/batch", json={"params": {"lr": 0.2}})
    assert r.status_code == 409
    assert "immutable" in error_of(r)["message"]


def test_blob_upload_is_checked_and_streams_back(client: TestClient) -> None:
    data = b"hello blob" * 1000
    digest = hashlib.sha256(data).hexdigest()
    wrong = "0" * 64
    r = client.put(f"/api/v1/blobs/{wrong}", content=data)
    assert r.status_code == 400 and "hash" in error_of(r)["message"]
    assert client.head(f"/api/v1/blobs/{digest}").status_code == 404
    assert client.put(f"/api/v1/blobs/{digest}", content=data).json() == {
        "digest": digest,
        "size": len(data),
    }
    assert client.head(f"/api/v1/blobs/{digest}").status_code == 200
    assert client.get(f"/api/v1/blobs/{digest}").content == data


def test_artifact_rows_need_an_uploaded_blob(client: TestClient) -> None:
    run = _run(client)
    entry = {"path": "a.txt", "digest": "1" * 64, "size": 3}
    r = client.post(f"/api/v1/runs/{run['id']}/artifacts", json={"entries": [entry]})
    assert r.status_code == 404
    bad = {"path": "../../etc/passwd", "digest": "1" * 64, "size": 3}
    data = b"abc"
    digest = hashlib.sha256(data).hexdigest()
    client.put(f"/api/v1/blobs/{digest}", content=data)
    bad["digest"] = digest
    r = client.post(f"/api/v1/runs/{run['id']}/artifacts", json={"entries": [bad]})
    assert r.status_code == 400 and ".." in error_of(r)["message"]
    good = {"path": "dir/a.txt", "digest": digest, "size": 3}
    assert (
        client.post(f"/api/v1/runs/{run['id']}/artifacts", json={"entries": [good]}).status_code
        == 204
    )
    got = client.get(f"/api/v1/runs/{run['id']}/artifacts/dir/a.txt")
    assert got.content == data
    assert "a.txt" in got.headers["content-disposition"]


def test_blob_ranges(client: TestClient) -> None:
    data = bytes(range(256)) * 10
    digest = hashlib.sha256(data).hexdigest()
    client.put(f"/api/v1/blobs/{digest}", content=data)
    r = client.get(f"/api/v1/blobs/{digest}", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    bad = client.get(f"/api/v1/blobs/{digest}", headers={"Range": "bytes=-5"})
    assert bad.status_code == 400 and error_of(bad)["type"] == "InvalidInput"
