"""A real S3 API for the fsspec blob store: moto's server in a subprocess, once per session."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a moto S3 server on a free local port."""
    exe = Path(sys.executable).with_name("moto_server")
    if not exe.exists():
        pytest.fail(
            f"moto_server is not installed next to {sys.executable}: pip install 'moto[server]'"
        )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **_S3_ENV},
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def s3_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """AWS test credentials in the environment; returns the endpoint URL."""
    for key, value in _S3_ENV.items():
        monkeypatch.setenv(key, value)
    return moto_server


@pytest.fixture
def make_bucket(s3_env: str) -> Callable[[], str]:
    """Create a fresh bucket on the moto server and return its name."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_env, region_name="us-east-1")

    def make() -> str:
        name = f"shipyard-{secrets.token_hex(6)}"
        client.create_bucket(Bucket=name)
        return name

    return make


@pytest.fixture
def bucket(make_bucket: Callable[[], str]) -> str:
    return make_bucket()
