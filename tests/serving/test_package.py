"""`shipyard models package`: a Docker build context whose entry command serves the model.

No Docker engine runs here, so the context's own command (the Dockerfile's
CMD) is run from the context folder with this environment's `shipyard`, and
asked for predictions over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.assets.aliases import move_alias
from shipyard.assets.models.model_folder import load_model
from shipyard.cli.main import main
from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.serving.package import package_model

REF = "model:credit@production"


@pytest.fixture(scope="module")
def credit() -> tuple[pd.DataFrame, LogisticRegression]:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"income": rng.normal(50.0, 12.0, 300), "age": rng.integers(18, 80, 300)})
    labels = np.where(frame.income + 0.2 * frame.age > 60, "good", "bad")
    return frame, LogisticRegression(max_iter=500).fit(frame, labels)


def _register(credit) -> str:
    frame, model = credit
    version = sy.models.register(model, "credit", sample_input=frame.head(5))
    move_alias(version.ref, "production")
    return version.ref


def _cmd(dockerfile: str) -> list[str]:
    (line,) = [ln for ln in dockerfile.splitlines() if ln.startswith("CMD ")]
    command: list[str] = json.loads(line.removeprefix("CMD "))
    return command


def test_context_files_dockerfile_requirements_and_manifest(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    ctx = tmp_path / "ctx"
    result = package_model(REF, ctx)

    names = sorted(p.name for p in ctx.iterdir())
    assert names == [
        ".dockerignore",
        "Dockerfile",
        "README.md",
        "model",
        "requirements.txt",
        "shipyard-package.json",
    ]
    assert (ctx / "model" / "shipyard_model.json").is_file()
    np.testing.assert_array_equal(
        load_model(ctx / "model").predict(frame), sy.models.load(REF).predict(frame)
    )

    docker = (ctx / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim$", docker, re.M)
    assert re.search(r"^RUN useradd .* shipyard$", docker, re.M)
    assert re.search(r"^USER shipyard$", docker, re.M)
    assert "pip install --requirement /app/requirements.txt" in docker
    assert "COPY model/ /app/model/" in docker
    assert re.search(r"^EXPOSE 8080$", docker, re.M)
    assert "HEALTHCHECK" in docker and "/health" in docker
    assert _cmd(docker) == [
        "shipyard",
        "serve",
        "/app/model",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]
    assert docker.index("USER shipyard") < docker.index("CMD ")

    requirements = (ctx / "requirements.txt").read_text().splitlines()
    assert f"shipyard[serving]=={sy.__version__}" in requirements
    assert f"scikit-learn=={sklearn.__version__}" in requirements
    assert not any(r.startswith("shipyard==") for r in requirements)

    manifest = json.loads((ctx / "shipyard-package.json").read_text())
    assert manifest["model"] == REF and manifest["version"] == "model:credit@1"
    assert manifest["digest"] == sy.models.get(REF).digest
    assert manifest["created"] and manifest["flavor"] == "sklearn"
    assert result.version == "model:credit@1"
    assert "docker build" in (ctx / "README.md").read_text()
    assert "!model" in (ctx / ".dockerignore").read_text()


def test_a_non_empty_out_is_refused_unless_forced(credit, tmp_path: Path, capsys) -> None:
    _register(credit)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "keep.txt").write_text("mine")
    code = main(["models", "package", REF, "--out", str(ctx)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "is not empty" in err and "--force" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in ctx.iterdir()) == ["keep.txt"]

    assert main(["models", "package", REF, "--out", str(ctx), "--force", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "model:credit@1"
    assert not (ctx / "keep.txt").exists() and (ctx / "Dockerfile").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ctx", "home"]  # no leftovers


def test_a_failed_package_leaves_nothing(credit, tmp_path: Path) -> None:
    _register(credit)
    with pytest.raises(NotFound):
        package_model("model:credit@9", tmp_path / "ctx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(Conflict, match="is a file"):
        package_model(REF, tmp_path / "file")


def test_a_wheel_is_copied_and_installed_from_the_context(credit, tmp_path: Path) -> None:
    _register(credit)
    wheel = tmp_path / "shipyard-0.2.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel, but only copied here")
    ctx = tmp_path / "ctx"
    package_model(REF, ctx, wheel=wheel, base_image="python:3.12-slim", trust=True)
    assert (ctx / "wheels" / wheel.name).read_bytes() == wheel.read_bytes()
    docker = (ctx / "Dockerfile").read_text()
    assert "FROM python:3.12-slim" in docker
    assert "COPY wheels/ /tmp/wheels/" in docker
    assert "pip install --find-links /tmp/wheels --requirement" in docker
    assert _cmd(docker)[-1] == "--trust"
    assert "shipyard[serving]==0.2.0" in (ctx / "requirements.txt").read_text()
    with pytest.raises(InvalidInput, match="not a shipyard wheel"):
        package_model(REF, tmp_path / "other", wheel=tmp_path / "ctx" / "Dockerfile")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_entry_command_serves_the_model(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    ctx = tmp_path / "ctx"
    package_model(REF, ctx)
    command = _cmd((ctx / "Dockerfile").read_text())
    # As in the image (WORKDIR /app), but from the context folder, on a free port.
    port = _free_port()
    command = [str(ctx / a.removeprefix("/app/")) if a.startswith("/app/") else a for a in command]
    command[command.index("--port") + 1] = str(port)
    command[0] = str(Path(sys.executable).with_name(command[0]))
    env = {**os.environ, "SHIPYARD_HOME": str(tmp_path / "container-home")}
    proc = subprocess.Popen(
        command, cwd=ctx, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the server exited: {proc.stderr.read()}")
            try:
                health = httpx.get(f"{url}/health", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not become healthy in 60 s")
            time.sleep(0.2)
        rows = frame.head(20)
        answer = httpx.post(
            f"{url}/predict", json={"records": rows.to_dict(orient="records")}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        expected = sy.models.load(REF).predict(rows).tolist()
        assert answer.json()["predictions"] == expected
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
