"""Serving fixtures: two tiny credit models in the registry and real uvicorn model servers.

Version 1 approves incomes above 50, version 2 the opposite, so an answer
tells which version served it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.assets.aliases import move_alias
from shipyard.serving.app import ModelServer, create_model_app
from shipyard.serving.config import ServeConfig
from shipyard.workspace import Workspace


@dataclass(frozen=True)
class CreditData:
    x: pd.DataFrame
    v1: LogisticRegression
    v2: LogisticRegression


@pytest.fixture(scope="session")
def credit_data() -> CreditData:
    rng = np.random.default_rng(7)
    x = pd.DataFrame({"income": rng.normal(50, 15, 300).round(2), "age": rng.integers(18, 80, 300)})
    approved = (x["income"] > 50).astype(int)
    v1 = LogisticRegression(max_iter=500).fit(x, approved)
    v2 = LogisticRegression(max_iter=500).fit(x, 1 - approved)
    return CreditData(x, v1, v2)


@pytest.fixture
def credit(credit_data: CreditData) -> CreditData:
    """``model:credit`` v1 (``production``) and v2 (``challenger``) in this test's workspace."""
    sample = credit_data.x.head(5)
    one = sy.models.register(credit_data.v1, "credit", sample_input=sample)
    two = sy.models.register(credit_data.v2, "credit", sample_input=sample)
    move_alias(one.ref, "production")
    move_alias(two.ref, "challenger")
    return credit_data


HIGH = {"income": 90.0, "age": 40}  # v1 says 1, v2 says 0
LOW = {"income": 10.0, "age": 40}  # v1 says 0, v2 says 1


@dataclass
class RunningServer:
    url: str
    app: Any
    port: int

    @property
    def model_server(self) -> ModelServer:
        server: ModelServer = self.app.state.model_server
        return server

    def predict(self, body: Any, **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.url}/predict", json=body, timeout=10, **kwargs)

    def metrics(self) -> dict[str, float]:
        """``/metrics`` parsed by prometheus_client: sample name + labels → value."""
        from prometheus_client.parser import text_string_to_metric_families

        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        found = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}"] = sample.value
        return found


@contextmanager
def running(app: Any, port: int, sock: socket.socket) -> Iterator[RunningServer]:
    """Serve ``app`` with uvicorn (lifespan on) on ``sock`` in a thread, until the block ends."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", app, port)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


ServeFn = Callable[..., Any]


@pytest.fixture
def serve() -> ServeFn:
    """``with serve("model:credit@production", split=..., ...) as server:`` — a live model server.

    Keyword arguments go to ``ServeConfig`` (``workspace=`` picks the store);
    reloads and heartbeats are fast so tests need not wait long.
    """

    @contextmanager
    def start(
        source: str, workspace: Workspace | None = None, **options: Any
    ) -> Iterator[RunningServer]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        options.setdefault("reload_interval", 0.2)
        options.setdefault("heartbeat_interval", 0.2)
        config = ServeConfig(source=source, host="127.0.0.1", port=port, **options)
        app = create_model_app(config, workspace, preload=True)
        with running(app, port, sock) as server:
            yield server

    return start


def _wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(check, timeout=10, what="...")``: poll until ``check()`` is truthy."""
    return _wait_for


@pytest.fixture
def rows() -> dict[str, dict[str, Any]]:
    """``high`` (v1 says 1, v2 says 0) and ``low`` (the other way round) rows."""
    return {"high": dict(HIGH), "low": dict(LOW)}
