"""`shipyard server` and `shipyard ui` start a real server process that answers over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not answer in 60 s")


@pytest.mark.parametrize("command", [["server"], ["ui", "--no-browser"]])
def test_server_command_serves_api_and_ui(command: list[str], tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).with_name("shipyard")
    env = {**os.environ, "SHIPYARD_HOME": str(tmp_path / "served")}
    proc = subprocess.Popen(
        [str(exe), *command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = _wait(f"http://127.0.0.1:{port}/api/health", proc)
        assert health.json()["status"] == "ok"
        ui = httpx.get(f"http://127.0.0.1:{port}/ui/", timeout=5)
        assert ui.status_code == 200 and "shipyard" in ui.text
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in err  # the URL is printed for the user
    assert "Traceback" not in err


def test_server_refuses_to_proxy_another_server(monkeypatch, capsys) -> None:
    from shipyard.cli.main import main

    monkeypatch.setenv("SHIPYARD_URI", "http://127.0.0.1:9")
    assert main(["server", "--port", "1"]) == 2
    assert "SHIPYARD_URI is set" in capsys.readouterr().err
