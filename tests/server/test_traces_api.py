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
