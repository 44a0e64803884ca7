"""The deployments registry: servers register, heartbeat with current versions, stop; lost ones show."""

from __future__ import annotations

import json

from shipyard.assets.aliases import move_alias
from shipyard.cli.main import main
from shipyard.core.clock import now_ms
from shipyard.serving.deployments import list_deployments
from shipyard.store.serving_records import DeploymentRecord
from shipyard.workspace import current_workspace


def test_a_server_registers_heartbeats_and_stops(credit, serve, wait_for) -> None:
    with serve(
        "model:credit",
        split={"production": 80, "challenger": 20},
        name="credit-api",
        heartbeat_interval=0.2,
    ) as server:
        (running,) = list_deployments()
        assert running.status == "running"
        assert running.name == "credit-api" and running.model == "credit"
        assert running.url == server.url
        assert running.source == "model:credit"
        assert running.versions == {"production": 1, "challenger": 2}
        assert running.split == {"production": 80.0, "challenger": 20.0}
        assert running.shadow is None and running.stopped_at is None
        assert running.details["max_batch_size"] == 64
        first_beat = running.heartbeat_at
        wait_for(lambda: list_deployments()[0].heartbeat_at > first_beat, what="a heartbeat")
        # an alias move shows up in the registry without waiting for the next interval
        move_alias("model:credit@2", "production")
        wait_for(
            lambda: list_deployments()[0].versions == {"production": 2, "challenger": 2},
            what="the moved version in the registry",
        )
        assert server.model_server.beacon.id == running.id
    (stopped,) = list_deployments()
    assert stopped.status == "stopped" and stopped.stopped_at is not None
    assert list_deployments(include_stopped=False) == []


def test_a_server_that_stopped_heartbeating_is_lost() -> None:
    ws = current_workspace()
    old = now_ms() - 60_000
    ws.store.deployments.register(
        DeploymentRecord(
            id="a" * 32,
            name="ghost",
            url="http://10.0.0.9:8080",
            pid=1,
            hostname="gone",
            source="model:credit@production",
            model="credit",
            versions={"production": 3},
            split={"production": 100.0},
            shadow="challenger",
            state="running",
            started_at=old,
            heartbeat_at=old,
            heartbeat_interval_ms=5000,
        )
    )
    (ghost,) = list_deployments(name="ghost")
    assert ghost.status == "lost" and ghost.shadow == "challenger"
    assert list_deployments(include_stopped=False) == [ghost]


def test_deployments_list_cli(credit, serve, capsys) -> None:
    with serve("model:credit@production", name="credit-api", shadow="challenger"):
        assert main(["deployments", "list", "--json"]) == 0
        (listed,) = json.loads(capsys.readouterr().out)
        assert listed["status"] == "running" and listed["name"] == "credit-api"
        assert listed["versions"] == {"production": 1, "challenger": 2}
        assert listed["shadow"] == "challenger"
        assert main(["deployments", "list"]) == 0
        table = capsys.readouterr().out
        assert "credit-api" in table and "production=v1" in table and "running" in table
    assert main(["deployments", "list", "--running", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
