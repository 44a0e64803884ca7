"""The prediction log and deployments repositories on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.store.serving_records import DeploymentRecord, PredictionQuery, PredictionRecord
from shipyard.store.sql import SqlStore


def _prediction(i: int, **changes: object) -> PredictionRecord:
    base = {
        "request_id": f"req-{i}",
        "deployment": "credit-api",
        "model": "credit",
        "version": 1,
        "alias": "production",
        "shadow": False,
        "inputs": {"income": [50.0 + i], "city": ["Oslo"], "when": [None]},
        "outputs": [i % 2],
        "latency_ms": 1.5,
        "created_at": 1_000 + i,
    }
    return PredictionRecord(**{**base, **changes})  # type: ignore[arg-type]


def test_predictions_round_trip_and_filters(store: SqlStore) -> None:
    records = [_prediction(i) for i in range(5)]
    records += [_prediction(5, version=2, alias="challenger", shadow=True, outputs=[[0.1, 0.9]])]
    records += [_prediction(6, model="churn", deployment="churn-api")]
    store.predictions.insert_many(records)
    store.predictions.insert_many([])

    everything = store.predictions.query(PredictionQuery(limit=100))
    assert [p.request_id for p in everything] == [f"req-{i}" for i in range(7)]
    first = everything[0]
    assert first.id is not None
    assert first == PredictionRecord(**{**_prediction(0).__dict__, "id": first.id})
    assert first.rows == 1

    def ids(**filters: object) -> list[str]:
        return [p.request_id for p in store.predictions.query(PredictionQuery(**filters))]  # type: ignore[arg-type]

    assert ids(model="credit", version=2) == ["req-5"]
    assert ids(shadow=True) == ["req-5"]
    assert ids(alias="challenger") == ["req-5"]
    assert ids(deployment="churn-api") == ["req-6"]
    assert ids(request_id="req-3") == ["req-3"]
    assert ids(model="credit", since=1_002, until=1_004) == ["req-2", "req-3"]
    assert ids(model="credit", shadow=False, newest_first=True, limit=2) == ["req-4", "req-3"]
    shadow = store.predictions.query(PredictionQuery(shadow=True))[0]
    assert shadow.outputs == [[0.1, 0.9]] and shadow.version == 2


def test_prediction_query_limits(store: SqlStore) -> None:
    with pytest.raises(InvalidInput, match="limit must be between"):
        store.predictions.query(PredictionQuery(limit=0))


def _deployment(**changes: object) -> DeploymentRecord:
    base = {
        "id": "d" * 32,
        "name": "credit-api",
        "url": "http://127.0.0.1:8080",
        "pid": 42,
        "hostname": "box",
        "source": "model:credit",
        "model": "credit",
        "versions": {"production": 1, "challenger": 2},
        "split": {"production": 90.0, "challenger": 10.0},
        "shadow": None,
        "state": "running",
        "started_at": 1_000,
        "heartbeat_at": 1_000,
        "heartbeat_interval_ms": 5_000,
        "details": {"max_batch_size": 64},
    }
    return DeploymentRecord(**{**base, **changes})  # type: ignore[arg-type]


def test_deployments_register_heartbeat_stop(store: SqlStore) -> None:
    store.deployments.register(_deployment())
    store.deployments.register(_deployment(id="e" * 32, name="churn-api", started_at=2_000))
    assert [d.name for d in store.deployments.list()] == ["churn-api", "credit-api"]
    assert store.deployments.list("credit-api") == [_deployment()]

    store.deployments.heartbeat("d" * 32, {"production": 3, "challenger": 2}, 5_000)
    (beat,) = store.deployments.list("credit-api")
    assert beat.heartbeat_at == 5_000 and beat.versions == {"production": 3, "challenger": 2}

    store.deployments.stop("d" * 32, 6_000)
    (stopped,) = store.deployments.list("credit-api")
    assert (stopped.state, stopped.stopped_at, stopped.heartbeat_at) == ("stopped", 6_000, 6_000)
    # registering again (a restart reusing its id) replaces the record
    store.deployments.register(_deployment(started_at=7_000, heartbeat_at=7_000))
    assert store.deployments.list("credit-api")[0].state == "running"

    with pytest.raises(NotFound, match="no deployment 'nope'"):
        store.deployments.heartbeat("nope", {}, 1)
    with pytest.raises(NotFound):
        store.deployments.stop("nope", 1)


def test_records_round_trip_through_json() -> None:
    p = _prediction(1, version=None, alias=None)
    assert PredictionRecord.from_dict(p.to_dict()) == p
    d = _deployment(versions={"folder": None}, stopped_at=9)
    assert DeploymentRecord.from_dict(d.to_dict()) == d
    q = PredictionQuery(model="m", version=2, shadow=False, since=1, until=2, limit=5)
    assert PredictionQuery.from_dict(q.to_dict()) == q
