"""``shipyard serve`` as a real process: a registry reference, a local folder, and bad SOURCEs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shipyard.cli.main import main
from shipyard.serving.deployments import list_deployments


def _start(args: list[str], home: Path) -> tuple[subprocess.Popen[str], str]:
    exe = Path(sys.executable).with_name("shipyard")
    proc = subprocess.Popen(
        [str(exe), "serve", *args, "--port", "0"],
        env={**os.environ, "SHIPYARD_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # the announcement, printed once the port is bound
    found = re.search(r"(http://127\.0\.0\.1:\d+)/predict", line)
    if found is None:
        proc.kill()
        raise AssertionError(f"no URL announced: {line}{proc.stderr.read()}")
    return proc, found.group(1)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return err


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server never became healthy")


def test_serve_a_registry_alias_as_a_process(credit, isolated_home, rows) -> None:
    proc, url = _start(["model:credit@production", "--name", "credit-cli"], isolated_home)
    try:
        _wait_healthy(url)
        r = httpx.post(f"{url}/predict", json={"records": [rows["high"]]}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["predictions"] == [1]
        assert r.json()["model"] == {"name": "credit", "version": 1, "alias": "production"}
        (running,) = list_deployments()
        assert (running.name, running.status, running.url) == ("credit-cli", "running", url)
        assert running.pid == proc.pid
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert list_deployments()[0].status == "stopped"


def test_serve_a_local_model_folder_as_a_process(credit, tmp_path, rows) -> None:
    from shipyard.assets.models.model_folder import save_model

    folder = tmp_path / "app" / "model"
    save_model(credit.v1, folder, sample_input=credit.x.head(5))
    # a fresh home, as in a container: nothing registered, the folder is the model
    proc, url = _start([str(folder), "--no-log"], tmp_path / "container-home")
    try:
        _wait_healthy(url)
        r = httpx.post(f"{url}/predict", json=[rows["low"], rows["high"]], timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["predictions"] == [0, 1]
        assert r.json()["model"]["name"] == "model"
    finally:
        err = _stop(proc)
    assert proc.returncode == 0 and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["model:nope@production"], "nope"),
        (["model:credit@staging"], "staging"),
        (["dataset:credit@1"], "a model is needed here"),
        (["./no/such/folder"], "no model folder at ./no/such/folder"),
        (["model:credit", "--split", "production=abc"], "is not a number"),
        (["model:credit@production", "--max-batch-size", "0"], "--max-batch-size"),
    ],
)
def test_bad_source_is_one_line_and_exit_2(credit, capsys, args, message) -> None:
    assert main(["serve", *args, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_folder_that_is_not_a_model(tmp_path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["serve", str(tmp_path / "empty"), "--port", "0"]) == 2
    assert "not a saved shipyard model" in capsys.readouterr().err


def test_a_python_class_model_needs_trust(tmp_path, capsys) -> None:
    import pandas as pd

    import shipyard as sy

    class Doubler:
        def predict(self, frame):
            return frame["a"] * 2

    sy.models.register(Doubler(), "doubler", sample_input=pd.DataFrame({"a": [1.0]}))
    assert main(["serve", "model:doubler@latest", "--port", "0"]) == 2
    assert "trusted" in capsys.readouterr().err


def test_a_busy_port_is_a_clear_error(credit, capsys) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "model:credit@production", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
