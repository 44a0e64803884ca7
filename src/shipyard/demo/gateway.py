"""The LLM part of the demo: a handful of requests through the HTTP gateway to the local model.

It shows the four things a team asks of a gateway, with nothing but the
bundled base model and no network:

* a **fallback**: the alias ``capitals`` tries an OpenAI-compatible upstream
  first (on a port where nothing listens), then the local model;
* a **cache hit**: the same question twice, the second answered from the
  exact cache at no cost;
* a **budget refusal**: a virtual key with a tiny daily budget (the demo
  gives the local model a made-up price so that budgets have something to
  count) is refused with HTTP 429 once it is spent;
* traces and usage for the UI, under ``/ui/traces`` and ``/ui/usage``.

The prompts are few-shot completions, which is what a base model can do.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from shipyard.workspace import Workspace

PROMPT = (
    "Q: What is the capital of France?\nA: Paris\n"
    "Q: What is the capital of Japan?\nA: Tokyo\n"
    "Q: What is the capital of {{ country }}?\nA:"
)
COUNTRIES = ("Italy", "Germany", "Spain", "Italy", "Egypt", "Canada", "Peru", "Kenya")
DEMO_PRICE = {"input": 20.0, "output": 40.0}  # USD per 1M tokens: made up, so budgets count
BUDGET = "0.005/day"


@dataclass(frozen=True)
class GatewayCall:
    question: str
    status: int
    answer: str
    target: str
    cache: str
    tokens: int
    cost_usd: float
    latency_ms: float
    attempts: int


def run_gateway_demo(ws: Workspace) -> list[GatewayCall]:
    """Start the gateway on a free local port, send the demo requests, stop it."""
    from shipyard.assets.prompts.api import create
    from shipyard.llm.config import GatewayConfig
    from shipyard.llm.keys import create_key
    from shipyard.tracing import flush_traces

    create(
        "capitals",
        PROMPT,
        model={"provider": "local", "model": "gemma-3-270m", "max_tokens": 6, "temperature": 0},
        description="few-shot capital cities, for a base model",
        workspace=ws,
    )
    config = GatewayConfig.from_dict(
        {
            "models": {
                "capitals": {
                    "targets": [
                        {
                            "provider": "openai",
                            "model": "gpt-4o-mini",
                            "base_url": f"http://127.0.0.1:{_closed_port()}/v1",
                            "timeout_s": 2,
                        },
                        {"provider": "local", "model": "gemma-3-270m", "weight": 0},
                    ]
                }
            },
            "default_model": "capitals",
            "routing": {"retries": 1, "backoff_s": 0.05},
            "cache": {"exact": True, "scope": "project"},
            "prices": {"local/gemma-3-270m": DEMO_PRICE},
        }
    )
    _, secret = create_key("demo", name="demo-app", budget=BUDGET, rpm=120, workspace=ws)
    from shipyard.assets.prompts.api import render

    calls: list[GatewayCall] = []
    with _serving(config, ws) as url:
        import httpx

        with httpx.Client(base_url=url, timeout=120) as client:
            for country in COUNTRIES:
                prompt = render("prompt:capitals@latest", workspace=ws, country=country)[0][
                    "content"
                ]
                calls.append(_ask(client, secret, country, prompt))
                if calls[-1].status == 429:
                    break
    flush_traces()
    return calls


def _ask(client: Any, secret: str, country: str, prompt: str) -> GatewayCall:
    started = time.perf_counter()
    r = client.post(
        "/v1/completions",
        headers={"Authorization": f"Bearer {secret}"},
        json={
            "model": "capitals",
            "prompt": prompt,
            "max_tokens": 6,
            "temperature": 0,
            "stop": ["\n"],
        },
    )
    latency = (time.perf_counter() - started) * 1000
    body = r.json()
    if r.status_code != 200:
        return GatewayCall(
            country,
            r.status_code,
            body.get("error", {}).get("message", ""),
            "-",
            "-",
            0,
            0.0,
            latency,
            0,
        )
    info = body.get("shipyard", {})
    return GatewayCall(
        question=country,
        status=r.status_code,
        answer=body["choices"][0]["text"].strip(),
        target=str(info.get("target", "")),
        cache=str(info.get("cache") or "miss"),
        tokens=int(body.get("usage", {}).get("total_tokens", 0)),
        cost_usd=float(info.get("cost_usd", 0.0)),
        latency_ms=latency,
        attempts=int(info.get("attempts", 1)),
    )


def _closed_port() -> int:
    """A local port where nothing listens, so the first target fails fast (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def _serving(config: Any, ws: Workspace) -> Iterator[str]:
    import uvicorn

    from shipyard.llm.gateway.app import create_gateway_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_gateway_app(config, ws)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        app.state.gateway.close()  # its thread pool and stages; lifespan is off here
