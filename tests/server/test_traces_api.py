"""Traces over REST: the recorder posts batches, lists and trees come back with filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import shipyard as sy
from shipyard.core.settings import Settings
from shipyard.server.app import create_app
from shipyard.store.trace_records import CallQuery, TraceQuery
from shipyard.tracing import flush_traces, span
from shipyard.workspace import Workspace, current_workspace


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    ws = Workspace.open(Settings.load(home=str(tmp_path / "srv")))
    with TestClient(create_app(ws)) as c:
        yield c
    ws.close()


def _body(trace_id: str, *, model: str = "fast", cost: float = 0.5, status: str = "ok") -> dict:
    return {
        "traces": [
            {
                "trace_id": trace_id,
                "name": f"chat {model}",
                "started_at": 1_000,
                "duration_ms": 12.5,
                "status": status,
                "model": model,
                "key_id": "key1",
                "project": "p",
                "prompt_tokens": 3,
                "completion_tokens": 4,
                "cost_usd": cost,
                "cache_hit": True,
                "span_count": 1,
            }
        ],
        "spans": [
            {
                "trace_id": trace_id,
                "span_id": "a" * 16,
                "parent_id": None,
                "name": f"chat {model}",
                "kind": "llm",
                "start_us": 1_000_000,
                "duration_ms": 12.5,
                "attributes": {"gen_ai.request.model": model},
            }
        ],
        "calls": [
            {
                "trace_id": trace_id,
                "span_id": "a" * 16,
                "started_at": 1_000,
                "operation": "chat",
                "model": model,
                "status": status,
                "latency_ms": 12.5,
                "key_id": "key1",
                "project": "p",
                "cost_usd": cost,
            }
        ],
    }


def test_record_list_get_and_calls(client: TestClient) -> None:
    r = client.post("/api/v1/traces", json=_body("1" * 32))
    assert r.status_code == 204, r.text
    r = client.post("/api/v1/traces", json=_body("2" * 32, model="slow", cost=2.0, status="error"))
    assert r.status_code == 204, r.text

    r = client.get("/api/v1/traces")
    assert r.status_code == 200, r.text
    assert [t["trace_id"] for t in r.json()["traces"]] == ["2" * 32, "1" * 32]
    for params, expected in (
        ({"model": "fast"}, ["1" * 32]),
        ({"status": "error"}, ["2" * 32]),
        ({"min_cost_usd": 1}, ["2" * 32]),
        ({"cache_hit": "true", "key_id": "key1", "project": "p"}, ["2" * 32, "1" * 32]),
        ({"cache_hit": "false"}, []),
        ({"name": "SLOW"}, ["2" * 32]),
        ({"min_duration_ms": 13}, []),
        ({"max_duration_ms": 13, "since": 1_000, "until": 1_001}, ["2" * 32, "1" * 32]),
        ({"limit": 1, "offset": 1}, ["1" * 32]),
    ):
        got = client.get("/api/v1/traces", params=params).json()["traces"]
        assert [t["trace_id"] for t in got] == expected, params

    r = client.get(f"/api/v1/traces/{'1' * 32}")
    assert r.status_code == 200, r.text
    assert r.json()["trace"]["cost_usd"] == 0.5
    assert r.json()["spans"][0]["attributes"] == {"gen_ai.request.model": "fast"}

    calls = client.get("/api/v1/llm-calls", params={"model": "slow"}).json()["calls"]
    assert [c["trace_id"] for c in calls] == ["2" * 32]
    assert calls[0]["status"] == "error" and calls[0]["id"] is not None


def test_errors_have_the_json_shape(client: TestClient) -> None:
    r = client.get(f"/api/v1/traces/{'9' * 32}")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "NotFound"
    r = client.get("/api/v1/traces", params={"limit": 5000})
    assert r.status_code == 400 and "limit" in r.json()["error"]["message"]
    r = client.post("/api/v1/traces", json={"traces": "nope"})
    assert r.status_code == 400 and "'traces' must be a list" in r.json()["error"]["message"]
    r = client.post("/api/v1/traces", json={"traces": [{"trace_id": "x"}]})
    assert r.status_code == 400 and "not a valid trace" in r.json()["error"]["message"]


def test_a_remote_workspace_records_traces_on_the_server(live_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHIPYARD_URI", live_server.url)
    with sy.trace("rag-answer") as root:
        with span(
            "chat fast",
            kind="llm",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "fast",
                "gen_ai.usage.input_tokens": 7,
                "gen_ai.usage.output_tokens": 2,
                "shipyard.cost_usd": 0.25,
                "shipyard.key_id": "k9",
            },
        ):
            pass
    assert flush_traces(10)

    # stored in the server's own store...
    server = live_server.workspace.store.traces
    record, spans = server.get(root.trace_id)
    assert record.model == "fast" and record.key_id == "k9" and record.cost_usd == 0.25
    assert [s.name for s in spans] == ["rag-answer", "chat fast"]
    # ...and read back through the same repository over HTTP
    remote = current_workspace().store.traces
    assert type(remote).__name__ == "RemoteTraces"
    assert [t.trace_id for t in remote.list(TraceQuery(model="fast", cache_hit=False))] == [
        root.trace_id
    ]
    assert remote.list(TraceQuery(cache_hit=True)) == []
    assert remote.get(root.trace_id) == (record, spans)
    calls = remote.calls(CallQuery(key_id="k9"))
    assert [(c.model, c.prompt_tokens, c.completion_tokens) for c in calls] == [("fast", 7, 2)]
    with pytest.raises(sy.NotFound):
        remote.get("0" * 32)


@pytest.mark.parametrize(
    ("part", "field", "value", "expected"),
    [
        ("traces", "started_at", "abc", "'started_at' must be an integer, got \"abc\""),
        ("traces", "duration_ms", "12", "'duration_ms' must be a number"),
        ("traces", "cache_hit", "yes", "'cache_hit' must be true or false"),
        ("traces", "prompt_tokens", True, "'prompt_tokens' must be an integer"),
        ("traces", "name", None, "'name' must be a string, got null"),
        ("traces", "model", 5, "'model' must be a string or null"),
        ("traces", "trace_id", "f" * 40, "'trace_id' has at most 32 characters"),
        ("spans", "attributes", [], "'attributes' must be a JSON object"),
        ("spans", "start_us", 1.5, "'start_us' must be an integer"),
        ("calls", "latency_ms", {}, "'latency_ms' must be a number"),
        ("calls", "stream", 1, "'stream' must be true or false"),
    ],
)
def test_fields_of_the_wrong_type_are_refused(
    client: TestClient, part: str, field: str, value: object, expected: str
) -> None:
    body = _body("3" * 32)
    body[part][0][field] = value
    r = client.post("/api/v1/traces", json=body)
    assert r.status_code == 400, r.text
    assert expected in r.json()["error"]["message"]
    assert client.get("/api/v1/traces").json()["traces"] == []  # nothing of the batch stored


def test_prune_deletes_old_traces(client: TestClient) -> None:
    for i, started in enumerate((1_000, 2_000, 3_000)):
        body = _body(f"{i + 1}" * 32)
        body["traces"][0]["started_at"] = started
        assert client.post("/api/v1/traces", json=body).status_code == 204
    r = client.post("/api/v1/traces/prune", json={"before": 2_500})
    assert r.status_code == 200, r.text
    assert r.json() == {"deleted": 2}
    assert [t["trace_id"] for t in client.get("/api/v1/traces").json()["traces"]] == ["3" * 32]
    assert client.get("/api/v1/llm-calls").json()["calls"][0]["trace_id"] == "3" * 32
    r = client.post("/api/v1/traces/prune", json={"before": "yesterday"})
    assert r.status_code == 400 and "epoch milliseconds" in r.json()["error"]["message"]


def test_prune_needs_the_server_token(tmp_path: Path) -> None:
    ws = Workspace.open(Settings.load(home=str(tmp_path / "secured")))
    try:
        with TestClient(create_app(ws, token="s3cret")) as c:
            r = c.post("/api/v1/traces/prune", json={"before": 10**15})
            assert r.status_code == 401, r.text
            r = c.post(
                "/api/v1/traces/prune",
                json={"before": 10**15},
                headers={"Authorization": "Bearer s3cret"},
            )
            assert r.status_code == 200 and r.json() == {"deleted": 0}
    finally:
        ws.close()


def test_a_remote_workspace_prunes_on_the_server(live_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHIPYARD_URI", live_server.url)
    with sy.trace("old") as old:
        pass
    assert flush_traces(10)
    remote = current_workspace().store.traces
    assert remote.delete_before(old.start_us // 1000) == 0
    assert remote.delete_before(old.start_us // 1000 + 1) == 1
    with pytest.raises(sy.NotFound):
        live_server.workspace.store.traces.get(old.trace_id)
