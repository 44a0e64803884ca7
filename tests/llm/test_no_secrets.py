"""No secret is written anywhere: not the virtual key, not the upstream's API key.

Real calls through a real gateway to a real (wire-format) upstream that needs a
key; then every place a secret could leak is searched: the database files, the
stored traces, the logs at DEBUG, the CLI listings and the error bodies.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import openai
import pytest

from shipyard.cli.main import main
from shipyard.llm.config import GatewayConfig
from shipyard.llm.gateway import create_gateway_app
from shipyard.llm.keys import create_key
from shipyard.llm.providers.base import reset_providers
from shipyard.llm.testing.openai_server import FakeOpenAI
from shipyard.store.trace_records import CallQuery, TraceQuery
from shipyard.tracing import flush_traces
from shipyard.workspace import current_workspace

UPSTREAM_KEY = "sk-upstream-DO-NOT-LEAK-4f1c9b2e7a"


def test_no_secret_reaches_tables_traces_logs_or_listings(
    serve_app: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    isolated_home: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    reset_providers()
    ws = current_workspace()
    upstream = FakeOpenAI(api_key=UPSTREAM_KEY)
    monkeypatch.setenv("UPSTREAM_KEY", UPSTREAM_KEY)
    _, secret = create_key("web", name="web-app", budget="5/day", rpm=100, workspace=ws)
    seen: list[str] = []
    with serve_app(upstream.app) as up:
        config = GatewayConfig.from_dict(
            {
                "default_model": "smart",
                "models": {
                    "smart": {
                        "targets": [
                            {
                                "provider": "openai",
                                "model": "gpt-4o-mini",
                                "base_url": f"{up.url}/v1",
                                "api_key_env": "UPSTREAM_KEY",
                            }
                        ]
                    },
                    "wrong-key": {
                        "targets": [
                            {
                                "provider": "openai",
                                "model": "gpt-4o-mini",
                                "base_url": f"{up.url}/v1",
                                "headers": {"Authorization": "Bearer sk-wrong"},
                            }
                        ]
                    },
                },
                "auth": {"require_key": True},
                "routing": {"retries": 0},
                "cache": {"exact": True},
            }
        )
        app = create_gateway_app(config, ws)
        with serve_app(app) as gw:
            client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=secret, max_retries=0)
            messages = [{"role": "user", "content": "hello"}]
            reply = client.chat.completions.create(model="smart", messages=messages)  # type: ignore[arg-type]
            seen.append(reply.model_dump_json())
            again = client.chat.completions.create(model="smart", messages=messages)  # type: ignore[arg-type]
            seen.append(again.model_dump_json())
            stream = client.chat.completions.create(
                model="smart",
                messages=[{"role": "user", "content": "stream me"}],
                stream=True,
            )
            seen.extend(chunk.model_dump_json() for chunk in stream)
            upstream.fail_next(1, status=500)
            with pytest.raises(openai.APIStatusError) as failed:
                client.chat.completions.create(
                    model="smart", messages=messages, extra_headers={"Cache-Control": "no-cache"}
                )  # type: ignore[arg-type]
            seen.append(failed.value.response.text)
            with pytest.raises(openai.APIStatusError) as refused:
                client.chat.completions.create(model="wrong-key", messages=messages)  # type: ignore[arg-type]
            seen.append(refused.value.response.text)
            bad = openai.OpenAI(
                base_url=f"{gw.url}/v1", api_key=secret[:-4] + "abcd", max_retries=0
            )
            with pytest.raises(openai.AuthenticationError) as unauthorized:
                bad.chat.completions.create(model="smart", messages=messages)  # type: ignore[arg-type]
            seen.append(unauthorized.value.response.text)
            client.close()
            bad.close()
            app.state.gateway.close()
    flush_traces()
    assert upstream.calls >= 3  # the calls really went upstream, with the key

    traces = ws.store.traces.list(TraceQuery(limit=100))
    assert len(traces) >= 6
    for record in traces:
        _, spans = ws.store.traces.get(record.trace_id)
        seen.extend(str(s.to_dict()) for s in spans)
        seen.append(str(record.to_dict()))
    seen.extend(str(c.to_dict()) for c in ws.store.traces.calls(CallQuery()))
    seen.append(caplog.text)
    assert main(["traces", "list", "--json"]) == 0
    assert main(["keys", "list", "--json", "--all"]) == 0
    printed = capsys.readouterr()
    seen.extend([printed.out, printed.err])

    for text in seen:
        assert secret not in text
        assert secret[6:] not in text  # not even without its sk-sy- prefix
        assert UPSTREAM_KEY not in text
    ws.close()
    for path in isolated_home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data, path
            assert UPSTREAM_KEY.encode() not in data, path
