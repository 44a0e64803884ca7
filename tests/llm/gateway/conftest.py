"""A real gateway on a real uvicorn server, over the default chain of stages and the echo provider."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from typing import Any

import pytest

from shipyard.llm.config import GatewayConfig
from shipyard.llm.gateway import create_gateway_app
from shipyard.llm.providers.base import reset_providers
from shipyard.workspace import current_workspace

ECHO_CONFIG: dict[str, Any] = {
    "default_model": "fast",
    "models": {
        "fast": {"targets": [{"provider": "echo", "model": "fast-1"}]},
        "embedder": {"targets": [{"provider": "echo", "model": "embed-1"}]},
    },
    "routing": {"retries": 0, "backoff_s": 0},
}

Start = Callable[..., str]


@pytest.fixture
def start_gateway(serve_app: Any) -> Iterator[Start]:
    """``start_gateway(config_dict=ECHO_CONFIG) -> url``: a gateway served until the test ends."""
    reset_providers()
    with ExitStack() as stack:

        def start(config: Mapping[str, Any] | GatewayConfig | None = None) -> str:
            if not isinstance(config, GatewayConfig):
                config = GatewayConfig.from_dict(dict(config or ECHO_CONFIG))
            app = create_gateway_app(config, current_workspace())
            stack.callback(app.state.gateway.close)  # after the server stopped
            server = stack.enter_context(serve_app(app))
            return f"{server.url}"

        yield start
    reset_providers()


@pytest.fixture
def echo_config() -> dict[str, Any]:
    """Two aliases over the echo provider, no retries: a config tests can extend."""
    return dict(ECHO_CONFIG)


@pytest.fixture
def gateway_url(start_gateway: Start) -> str:
    """The gateway over ECHO_CONFIG."""
    return start_gateway()


@pytest.fixture
def sdk() -> Iterator[Callable[..., Any]]:
    """``sdk(url, key)``: the official OpenAI SDK on a gateway, no retries, closed afterwards."""
    import openai

    clients: list[openai.OpenAI] = []

    def make(url: str, key: str = "unused") -> openai.OpenAI:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(gateway_url: str, sdk: Callable[..., Any]) -> Any:
    """The SDK on the echo gateway, with a placeholder key (the gateway does not need one)."""
    return sdk(gateway_url, "sk-not-a-virtual-key")
