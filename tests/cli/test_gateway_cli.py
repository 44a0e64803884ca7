"""``shipyard gateway``: a bad config is one line and exit 2; a good one serves OpenAI clients."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from shipyard.cli.main import main
from shipyard.core.settings import Settings
from shipyard.store.trace_records import TraceQuery
from shipyard.workspace import Workspace

CONFIG = """\
default_model: fast
models:
  fast:
    targets:
      - {provider: echo, model: fast-1}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "does not exist"),
        ("models: [", "not valid YAML"),
        ("modles: {}", "unknown field(s) modles"),
        ("models: {fast: {targets: [{provider: nowhere, model: x}]}}", "unknown provider"),
    ],
)
def test_a_bad_config_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    if text is not None:
        path.write_text(text)
    for command in (["gateway", "--config"], ["server", "--gateway-config"]):
        assert main([*command, str(path)]) == 2
        err = capsys.readouterr().err
        assert expected in err
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err


def test_a_busy_port_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["gateway", "--port", str(port)]) == 2
    assert "cannot listen" in capsys.readouterr().err


def _start(args: list[str], home: Path, config: Path) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("shipyard")
    env = {**os.environ, "SHIPYARD_HOME": str(home), "SHIPYARD_GATEWAY_CONFIG": str(config)}
    return subprocess.Popen(
        [str(exe), "gateway", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_healthy(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gateway exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the gateway did not answer in 60 s")


@pytest.mark.parametrize("workers", [1, 2])
def test_the_gateway_command_serves_the_openai_sdk(tmp_path: Path, workers: int) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # the config comes from SHIPYARD_GATEWAY_CONFIG, as a container would set it
    proc = _start(["--port", str(port), "--workers", str(workers)], tmp_path / "home", config)
    try:
        _wait_healthy(url, proc)
        with openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client:
            for _ in range(2 * workers):
                answer = client.chat.completions.create(
                    model="fast", messages=[{"role": "user", "content": "ping"}]
                )
                assert answer.choices[0].message.content == "echo: ping"
            assert [m.id for m in client.models.list()] == ["fast", "echo/fast-1"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"{url}/v1" in err  # the URL is printed for the user
    assert "Traceback" not in err
    # every call's trace was written before the process ended
    ws = Workspace.open(Settings.load(home=str(tmp_path / "home")))
    try:
        traces = ws.store.traces.list(TraceQuery(limit=50))
    finally:
        ws.close()
    assert len(traces) == 2 * workers
