"""``shipyard server --gateway-config``: the gateway at /v1 next to the REST API and the UI."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from shipyard.llm.config import GatewayConfig
from shipyard.llm.keys import create_key
from shipyard.server.app import create_app
from shipyard.workspace import current_workspace


def test_the_server_token_guards_the_api_and_virtual_keys_guard_v1(
    serve_app: Any, sdk: Any, echo_config: dict[str, Any]
) -> None:
    config = GatewayConfig.from_dict({**echo_config, "auth": {"require_key": True}})
    ws = current_workspace()
    app = create_app(ws, token="server-token", gateway=config)
    try:
        with serve_app(app) as server:
            assert httpx.get(f"{server.url}/api/v1/experiments").status_code == 401
            assert httpx.get(f"{server.url}/api/health").status_code == 200
            # the server token is not a virtual key: /v1 refuses it
            with pytest.raises(openai.AuthenticationError):
                sdk(server.url, "server-token").chat.completions.create(
                    model="fast", messages=[{"role": "user", "content": "hi"}]
                )
            _, secret = create_key("support")
            client = sdk(server.url, secret)  # no server token needed for /v1
            answer = client.chat.completions.create(
                model="fast", messages=[{"role": "user", "content": "hi"}]
            )
            assert answer.choices[0].message.content == "echo: hi"
            streamed = client.completions.create(model="fast", prompt="a b", stream=True)
            assert "".join(c.choices[0].text for c in streamed) == "a b"
            missing = httpx.get(f"{server.url}/v1/nothing")
            assert missing.status_code == 404 and "error" in missing.json()
            schema = httpx.get(
                f"{server.url}/api/openapi.json", headers={"authorization": "Bearer server-token"}
            )
            assert schema.status_code == 200 and "/api/v1/runs" in schema.text
            assert "/v1/chat/completions" not in schema.text  # not part of the REST API
    finally:
        app.state.gateway.close()


def test_without_a_gateway_config_there_is_no_v1(serve_app: Any) -> None:
    with serve_app(create_app(current_workspace())) as server:
        r = httpx.post(f"{server.url}/v1/chat/completions", json={})
        assert r.status_code == 404
