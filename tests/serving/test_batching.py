"""Micro-batching: concurrent requests share predict calls; a lone request still answers at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

import shipyard as sy
from shipyard.core.errors import InvalidInput
from shipyard.serving.batcher import Job
from shipyard.serving.model_input import InputReader, ModelInput
from shipyard.serving.served_model import ServedModel


def _hammer(url: str, bodies: list[dict], workers: int = 16) -> list[httpx.Response]:
    """Send ``bodies`` from ``workers`` threads at once (one keep-alive client each)."""
    answers: list[httpx.Response | None] = [None] * len(bodies)

    def send(first: int) -> None:
        with httpx.Client(timeout=30) as client:
            for i in range(first, len(bodies), workers):
                answers[i] = client.post(f"{url}/predict", json=bodies[i])

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(send, range(workers)))
    return [a for a in answers if a is not None]


def test_concurrent_requests_are_batched_and_answers_stay_per_request(credit, serve) -> None:
    x = credit.x
    model = sy.models.load("model:credit@production")
    bodies = [{"records": x.iloc[i : i + 1 + i % 3].to_dict(orient="records")} for i in range(160)]
    expected = [model.predict(x.iloc[i : i + 1 + i % 3]).tolist() for i in range(160)]
    # waiting up to 20 ms for company makes batches certain even on a busy machine
    with serve("model:credit@production", max_wait_ms=20, max_batch_size=32) as server:
        answers = _hammer(server.url, bodies)
        m = server.metrics()
    assert [a.status_code for a in answers] == [200] * len(bodies)
    assert [a.json()["predictions"] for a in answers] == expected
    batches = m["shipyard_batch_size_rows_count{version=1}"]
    rows = m["shipyard_batch_size_rows_sum{version=1}"]
    assert rows == sum(len(b["records"]) for b in bodies)
    assert batches < len(bodies) / 2, f"{batches} predict calls for {len(bodies)} requests"
    assert m["shipyard_batch_size_rows_bucket{le=1,version=1}"] < batches  # some batch > 1 row
    # no batch went past the limit
    assert m["shipyard_batch_size_rows_bucket{le=32,version=1}"] == batches


def test_batches_grow_under_load_without_waiting(credit, serve, rows) -> None:
    with serve("model:credit@production") as server:  # max_wait_ms=0
        started = time.perf_counter()
        single = server.predict({"records": [rows["high"]]})
        assert single.status_code == 200 and single.json()["predictions"] == [1]
        assert time.perf_counter() - started < 2.0
        answers = _hammer(server.url, [{"records": [rows["low"]]}] * 200, workers=24)
        assert {a.status_code for a in answers} == {200}
        m = server.metrics()
    assert m["shipyard_batch_size_rows_sum{version=1}"] == 201
    assert m["shipyard_batch_size_rows_count{version=1}"] < 201  # some requests shared a call


def test_a_request_the_model_refuses_fails_alone_in_its_batch(credit) -> None:
    model = sy.models.load("model:credit@production")
    served = ServedModel("credit", 1, 1, "d" * 64, model, max_batch_size=64, max_wait_ms=0)
    reader = InputReader(model.signature)
    good = reader.read({"records": [{"income": 90.0, "age": 40}]})
    # passes the quick per-request check (an int) but not the signature (beyond 64 bits)
    bad = reader.read({"records": [{"income": 10.0, "age": 2**70}]})
    answers = served.predict_jobs([Job(good), Job(bad), Job(good, proba=True)])
    assert answers[0].predictions == [1] and answers[0].probabilities is None
    assert isinstance(answers[1], InvalidInput) and "age" in answers[1].message
    assert answers[2].predictions == [1] and len(answers[2].probabilities[0]) == 2
    assert isinstance(ModelInput({"income": [1.0]}, 1), ModelInput)
