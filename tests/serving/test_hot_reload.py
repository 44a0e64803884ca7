"""Alias moves are picked up without a restart, under load, with zero failed requests."""

from __future__ import annotations

import threading
import time

import httpx

import shipyard as sy
from shipyard.assets.aliases import move_alias


def test_alias_move_under_continuous_load_fails_nothing(credit, serve, rows, wait_for) -> None:
    results: list[tuple[int, int | None, list]] = []
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    r = client.post(f"{server.url}/predict", json={"records": [rows["high"]]})
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text}")
                    continue
                out = r.json()
                results.append((out["model"]["version"], out["predictions"][0], time.monotonic()))

    with serve("model:credit@production", reload_interval=0.1) as server:
        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for t in threads:
            t.start()
        wait_for(lambda: len(results) > 50, what="traffic before the move")
        moved_at = time.monotonic()
        move_alias("model:credit@2", "production")
        wait_for(
            lambda: any(v == 2 for v, _, _ in results[-5:]), timeout=15, what="version 2 served"
        )
        seen_v2 = next(t for v, _, t in results if v == 2)
        time.sleep(0.3)  # keep hammering after the swap
        stop.set()
        for t in threads:
            t.join()
        health = httpx.get(f"{server.url}/health").json()
        m = server.metrics()

    assert failures == []
    versions = [v for v, _, _ in results]
    assert 1 in versions and 2 in versions
    # every answer came from the version it claims (v1 approves this row, v2 refuses it)
    assert all(p == (1 if v == 1 else 0) for v, p, _ in results)
    # once v2 answered, v1 never answered again (in-flight v1 requests finished before)
    last_v1 = max(t for v, _, t in results if v == 1)
    assert last_v1 <= seen_v2 + 0.5
    assert seen_v2 - moved_at < 5
    assert health["versions"] == {"production": 2}
    assert m["shipyard_model_reloads_total{alias=production}"] == 1
    assert not [k for k in m if "status=5" in k]


def test_a_version_that_cannot_load_keeps_the_old_one_serving(
    credit, serve, rows, wait_for
) -> None:
    class Doubler:
        def predict(self, frame):
            return frame["income"] * 2

    import pandas as pd

    sample = pd.DataFrame({"income": [1.0], "age": [30]})
    v3 = sy.models.register(Doubler(), "credit", sample_input=sample)  # python-class: needs trust
    with serve("model:credit@production") as server:
        move_alias(v3.ref, "production")
        wait_for(
            lambda: server.metrics().get("shipyard_model_reload_errors_total{alias=production}"),
            what="the failed reload to be counted",
        )
        r = server.predict({"records": [rows["high"]]})
        assert r.status_code == 200 and r.json()["model"]["version"] == 1
    # with --trust the same move is picked up
    move_alias("model:credit@1", "production")
    with serve("model:credit@production", trust=True) as server:
        move_alias(v3.ref, "production")
        out = wait_for(
            lambda: (
                (o := server.predict({"records": [rows["high"]]}).json())["model"]["version"] == 3
                and o
            ),
            what="version 3",
        )
        assert out["predictions"] == [180.0]


def test_health_is_503_until_the_model_can_load(credit, rows, wait_for) -> None:
    import socket

    from shipyard.serving.app import create_model_app
    from shipyard.serving.config import ServeConfig

    # the alias does not exist yet: the server starts, says it is loading, and retries
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = ServeConfig("model:credit@staging", port=port, reload_interval=0.1)
    app = create_model_app(config)  # not preloaded: loads in the background
    import threading

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, what="uvicorn")
        url = f"http://127.0.0.1:{port}"
        health = httpx.get(f"{url}/health")
        assert health.status_code == 503
        assert health.json()["status"] == "loading" and "staging" in health.json()["error"]
        early = httpx.post(f"{url}/predict", json={"records": [rows["high"]]})
        assert early.status_code == 503 and "still loading" in early.json()["error"]["message"]
        move_alias("model:credit@2", "staging")
        wait_for(lambda: httpx.get(f"{url}/health").status_code == 200, what="the model to load")
        r = httpx.post(f"{url}/predict", json={"records": [rows["high"]]})
        assert r.json()["model"] == {"name": "credit", "version": 2, "alias": "staging"}
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
