"""The prediction log: every answer recorded off the request path; a broken store drops, never fails."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import httpx

from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.notices import RateLimitedWarnings
from shipyard.serving.prediction_log import PredictionLogger, predictions_frame, read_predictions
from shipyard.store.serving_records import PredictionRecord
from shipyard.workspace import current_workspace


def test_every_prediction_is_logged_with_its_fields(credit, serve, rows, wait_for) -> None:
    before = int(time.time() * 1000)
    with serve("model:credit@production", name="credit-api") as server:
        answers = [
            server.predict({"records": [rows["high"]]}).json(),
            server.predict({"columns": {"income": [10.0, 90.0], "age": [20, 30]}}).json(),
            httpx.post(
                f"{server.url}/predict",
                json={"records": [rows["low"]]},
                headers={"x-request-id": "my-own-id"},
            ).json(),
        ]
        assert server.predict({"records": [{"age": 3}]}).status_code == 422  # not logged
        logged = wait_for(lambda: len(found := read_predictions("credit")) == 3 and found)
    assert answers[2]["request_id"] == "my-own-id"
    assert [p.request_id for p in logged] == [a["request_id"] for a in answers]
    first, second, _third = logged
    assert (first.deployment, first.model, first.version, first.alias, first.shadow) == (
        "credit-api",
        "credit",
        1,
        "production",
        False,
    )
    assert first.inputs == {"income": [90.0], "age": [40]} and first.outputs == [1]
    assert second.inputs == {"income": [10.0, 90.0], "age": [20, 30]}
    assert second.outputs == [0, 1] and second.rows == 2
    assert all(0 < p.latency_ms < 5000 for p in logged)
    assert all(before <= p.created_at <= int(time.time() * 1000) for p in logged)
    # the read API filters by model, version, alias, deployment, request and time window
    assert read_predictions("credit", version=2) == []
    assert len(read_predictions(deployment="credit-api", alias="production")) == 3
    assert [p.request_id for p in read_predictions(request_id="my-own-id")] == ["my-own-id"]
    assert len(read_predictions("credit", since=second.created_at)) >= 2
    assert read_predictions("credit", until=datetime.fromtimestamp(before / 1000 - 60, UTC)) == []
    newest = read_predictions("credit", newest_first=True, limit=1)
    assert [p.request_id for p in newest] == ["my-own-id"]
    frame = predictions_frame(logged)
    assert list(frame["income"]) == [90.0, 10.0, 90.0, 10.0]
    assert list(frame["prediction"]) == [1, 0, 1, 0]
    assert set(frame.columns) >= {"request_id", "version", "alias", "created_at"}


def test_no_log_means_no_rows(credit, serve, rows) -> None:
    with serve("model:credit@production", log_predictions=False) as server:
        assert server.predict({"records": [rows["high"]]}).status_code == 200
        assert httpx.get(f"{server.url}/metadata").json()["log_predictions"] is False
    assert read_predictions("credit") == []


def test_a_broken_store_drops_and_counts_but_requests_succeed(
    credit, serve, rows, wait_for, capfd
) -> None:
    ws = current_workspace()
    with serve("model:credit@production") as server:
        assert server.predict({"records": [rows["high"]]}).status_code == 200
        wait_for(lambda: read_predictions("credit"), what="the first row")
        # Break the real store under the running server: its prediction table is gone.
        assert ws.settings.db.startswith("sqlite:///")
        with sqlite3.connect(ws.settings.db.removeprefix("sqlite:///")) as conn:
            conn.execute("DROP TABLE predictions")
        started = time.perf_counter()
        for _ in range(20):
            r = server.predict({"records": [rows["high"]]})
            assert r.status_code == 200 and r.json()["predictions"] == [1]
        assert time.perf_counter() - started < 10
        dropped = wait_for(
            lambda: (
                server.metrics().get("shipyard_prediction_log_dropped_total{reason=store_error}")
                == 20
            ),
            what="20 dropped predictions",
        )
        m = server.metrics()
    assert dropped
    assert m["shipyard_prediction_log_written_total{}"] == 1
    assert m["shipyard_requests_total{alias=production,status=200,version=1}"] == 21
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if "prediction log" in line]
    assert lines and "no such table: predictions" in lines[0]
    assert len(lines) <= 2  # rate-limited, not one line per batch


def test_a_full_queue_drops_instead_of_blocking() -> None:
    ws = current_workspace()
    metrics = ServingMetrics()
    logger = PredictionLogger(
        ws.store.predictions, metrics, capacity=5, warnings=RateLimitedWarnings(60)
    )
    logger.start()
    record = PredictionRecord("r", "d", "m", 1, "a", False, {"x": [1]}, [1], 1.0, 0)
    # Another process holds the SQLite write lock: the writer thread waits on it.
    blocker = sqlite3.connect(ws.settings.db.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        for _ in range(50):
            logger.log(record)
        assert time.perf_counter() - started < 0.5  # never waits for the store
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    logger.close()
    written = metrics.log_written.total()
    full = metrics.log_dropped.get(("queue_full",))
    assert full >= 40 and written >= 1
    assert written + full + metrics.log_dropped.get(("shutdown",)) == 50
    assert len(read_predictions("m")) == written
