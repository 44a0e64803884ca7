"""Model servers whose workspace is a shipyard server: prediction log and registry over REST."""

from __future__ import annotations

import httpx
import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.settings import Settings
from shipyard.serving.deployments import list_deployments
from shipyard.serving.prediction_log import read_predictions
from shipyard.store.serving_records import DeploymentRecord, PredictionQuery, PredictionRecord
from shipyard.workspace import Workspace


@pytest.fixture
def remote_ws(live_server):  # type: ignore[no-untyped-def]
    ws = Workspace.open(Settings.load(uri=live_server.url))
    yield ws
    ws.close()


def test_prediction_log_and_registry_over_rest(remote_ws, live_server) -> None:
    record = PredictionRecord(
        "r1", "api", "credit", 1, "production", False, {"a": [1]}, [0], 2.0, 10
    )
    remote_ws.store.predictions.insert_many([record])
    (back,) = remote_ws.store.predictions.query(PredictionQuery(model="credit"))
    assert back.request_id == "r1" and back.inputs == {"a": [1]} and back.id is not None
    assert live_server.workspace.store.predictions.query(PredictionQuery())[0].id == back.id

    deployment = DeploymentRecord(
        "f" * 32,
        "api",
        "http://h:1",
        7,
        "h",
        "model:credit",
        "credit",
        {"production": 1},
        {"production": 100.0},
        None,
        "running",
        1,
        1,
        5000,
    )
    remote_ws.store.deployments.register(deployment)
    remote_ws.store.deployments.heartbeat("f" * 32, {"production": 2}, 99)
    (listed,) = remote_ws.store.deployments.list("api")
    assert listed.versions == {"production": 2} and listed.heartbeat_at == 99
    remote_ws.store.deployments.stop("f" * 32, 100)
    assert list_deployments(remote_ws)[0].status == "stopped"
    with pytest.raises(NotFound):
        remote_ws.store.deployments.stop("nope", 1)
    with pytest.raises(InvalidInput, match="limit"):
        remote_ws.store.predictions.query(PredictionQuery(limit=0))
    bad = httpx.post(f"{live_server.url}/api/v1/predictions", json={"predictions": [{"x": 1}]})
    assert bad.status_code == 400 and "not a valid prediction record" in bad.text


def test_a_model_server_logs_through_the_team_server(
    remote_ws, live_server, credit_data, serve, rows, wait_for
) -> None:
    import shipyard as sy
    from shipyard.assets.aliases import move_alias

    version = sy.models.register(
        credit_data.v1, "credit", sample_input=credit_data.x.head(5), workspace=remote_ws
    )
    move_alias(version.ref, "production", workspace=remote_ws)
    with serve("model:credit@production", workspace=remote_ws, name="remote-api") as server:
        r = server.predict({"records": [rows["high"]]})
        assert r.status_code == 200 and r.json()["predictions"] == [1]
        logged = wait_for(
            lambda: read_predictions("credit", workspace=live_server.workspace),
            what="the row on the team server",
        )
        (running,) = list_deployments(live_server.workspace)
        assert (running.name, running.status) == ("remote-api", "running")
    assert logged[0].request_id == r.json()["request_id"]
    assert list_deployments(live_server.workspace)[0].status == "stopped"
