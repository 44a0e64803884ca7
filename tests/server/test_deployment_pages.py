"""The deployments page: running servers with their versions and split, stopped and lost ones apart."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from shipyard.server.app import create_app
from shipyard.serving.deployments import DeploymentBeacon
from shipyard.store.serving_records import DeploymentRecord
from shipyard.workspace import Workspace, current_workspace


@pytest.fixture
def ws() -> Workspace:
    return current_workspace()


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws))


def beacon(ws: Workspace, name: str, **kwargs: object) -> DeploymentBeacon:
    options: dict[str, object] = {
        "url": "http://127.0.0.1:8080",
        "source": "model:credit",
        "model": "credit",
        "split": {"production": 90.0, "challenger": 10.0},
        "shadow": None,
        "heartbeat_interval": 5.0,
    }
    options.update(kwargs)
    return DeploymentBeacon(ws, name=name, **options)  # type: ignore[arg-type]


def rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-deployment="(\w+)" data-status="(\w+)">', html))


def test_running_server_shows_routes_versions_and_split(ws: Workspace, client: TestClient) -> None:
    live = beacon(ws, "credit-api", shadow="canary")
    live.register({"production": 3, "challenger": 4, "canary": 5})
    page = client.get("/ui/deployments")
    assert page.status_code == 200
    assert rows(page.text) == {live.id: "running"}
    assert '<a href="/ui/assets/model/credit/3">model:credit@3</a>' in page.text
    assert '<a href="/ui/assets/model/credit/4">model:credit@4</a>' in page.text
    assert "90.0%" in page.text and "10.0%" in page.text
    assert 'class="split-bar"' in page.text
    assert re.search(r'data-route="canary">.*?shadow', page.text, re.S)

    live.heartbeat({"production": 6, "challenger": 4, "canary": 5})  # the alias moved
    assert "model:credit@6" in client.get("/ui/deployments").text
    assert '<a href="/ui/deployments"' in client.get("/ui/").text  # in the sidebar


def test_stopped_and_lost_servers_are_listed_apart(ws: Workspace, client: TestClient) -> None:
    stopped = beacon(ws, "old-api", split={})
    stopped.register({"production": 1})
    stopped.stop()
    lost_record = DeploymentRecord(
        id="f" * 32,
        name="gone-api",
        url="http://10.0.0.9:8080",
        pid=4242,
        hostname="elsewhere",
        source="model:credit@production",
        model="credit",
        versions={"production": 2},
        split={},
        shadow=None,
        state="running",
        started_at=1_000,
        heartbeat_at=2_000,  # decades ago: it never said goodbye
        heartbeat_interval_ms=5_000,
        details={},
    )
    ws.store.deployments.register(lost_record)
    page = client.get("/ui/deployments")
    assert rows(page.text) == {stopped.id: "stopped", lost_record.id: "lost"}
    assert "No model server is running" in page.text and "Stopped or lost" in page.text
    hidden = client.get("/ui/deployments?stopped=false").text
    assert stopped.id not in hidden and lost_record.id in hidden
