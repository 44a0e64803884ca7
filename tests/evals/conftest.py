"""Evaluation fixtures: a real scikit-learn classifier and its eval dataset, prompts, live servers.

``model:credit`` approves (``"yes"``) incomes above 50 and refuses (``"no"``)
the others; ``dataset:credit-eval`` holds cases where it is right except near
the boundary, so accuracy is high but not perfect.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.evals.cases import create_dataset
from shipyard.store.asset_records import AssetVersion


def _serving_helpers() -> Any:
    """tests/serving/conftest.py, for its ``running`` helper (a uvicorn model server in a thread)."""
    name = "_serving_conftest_for_evals"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parents[1] / "serving" / "conftest.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Credit:
    frame: pd.DataFrame
    labels: np.ndarray
    model: LogisticRegression


@pytest.fixture(scope="session")
def credit_data() -> Credit:
    rng = np.random.default_rng(11)
    x = pd.DataFrame({"income": rng.normal(50, 15, 400).round(2), "age": rng.integers(18, 80, 400)})
    labels = np.where(x["income"] > 50, "yes", "no")
    model = LogisticRegression(max_iter=1000).fit(x, labels)
    return Credit(x, labels, model)


@pytest.fixture
def credit_model(credit_data: Credit) -> AssetVersion:
    """``model:credit@1`` in this test's workspace."""
    return sy.models.register(credit_data.model, "credit", sample_input=credit_data.frame.head(5))


def credit_cases(n: int, seed: int = 5) -> pd.DataFrame:
    """``n`` cases: income, age, the answer as ``label`` (5% flipped) and a ``meta.source``."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 20, n).round(2)
    right = income > 50
    right[::20] = ~right[::20]  # every 20th answer is mislabelled, so no target is perfect
    return pd.DataFrame(
        {
            "income": income,
            "age": rng.integers(18, 80, n),
            "label": np.where(right, "yes", "no"),
            "meta.source": ["synthetic"] * n,
        }
    )


@pytest.fixture
def credit_eval() -> AssetVersion:
    """``dataset:credit-eval@1``: 200 cases with the answer column ``label`` renamed ``expected``."""
    return create_dataset("credit-eval", credit_cases(200), expected="label")


@pytest.fixture
def model_server() -> Callable[..., Any]:
    """``with model_server("model:credit@1") as server: server.url`` — a live shipyard model server."""
    helpers = _serving_helpers()
    from shipyard.serving.app import create_model_app
    from shipyard.serving.config import ServeConfig

    @contextmanager
    def start(source: str) -> Iterator[Any]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = ServeConfig(source=source, host="127.0.0.1", port=port)
        app = create_model_app(config, None, preload=True)
        with helpers.running(app, port, sock) as server:
            yield server

    return start


Handler = Callable[[dict[str, Any]], tuple[int, Any]]


@pytest.fixture
def json_server() -> Callable[[Handler], Any]:
    """``with json_server(handle) as url:`` — a tiny JSON endpoint (see ``serve_json``)."""
    return serve_json


@contextmanager
def serve_json(handle: Handler) -> Iterator[str]:
    """A tiny local HTTP server: POST a JSON body, ``handle`` returns (status, JSON or text)."""

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            status, answer = handle(body)
            data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            self.send_response(status)
            kind = "text/plain" if isinstance(answer, str) else "application/json"
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    class _Server(ThreadingHTTPServer):
        request_queue_size = 128  # many cases connect at once
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that timed out and hung up: expected here

    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/answer"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def assembled_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled local model, assembled once per session (skips without llama.cpp)."""
    pytest.importorskip("llama_cpp", reason="the local model needs shipyard[llm]")
    from shipyard.llm.providers.local_model import MODEL_FILE, ensure_assembled

    path: Path = ensure_assembled(tmp_path_factory.mktemp("gguf") / MODEL_FILE)
    return path


@pytest.fixture
def local_model_path(assembled_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHIPYARD_LOCAL_MODEL_PATH", str(assembled_gguf))
    return assembled_gguf
