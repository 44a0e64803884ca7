"""Pipeline tests run on every executor: forked local processes and a real Ray instance.

Ray starts once per test session (lazily, on the first test that needs it) and
stops at the end; each test still has its own SHIPYARD_HOME, which every Ray
task carries with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def ray_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("ray")
    from shipyard.core.settings import Settings
    from shipyard.pipelines.ray_cluster import connect, shutdown
    from shipyard.workspace import Workspace

    ws = Workspace.open(Settings.load(home=str(tmp_path_factory.mktemp("ray-home"))))
    try:
        yield connect(ws, num_cpus=2)
    finally:
        shutdown()
        ws.close()


@pytest.fixture(params=["local", "ray"])
def executor(request: pytest.FixtureRequest) -> str:
    """The executor name; the same test runs on each."""
    if request.param == "ray":
        request.getfixturevalue("ray_instance")
    return str(request.param)


class Counter:
    """Counts executions across processes: each call appends a line to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __str__(self) -> str:
        return str(self.path)

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines() if self.path.exists() else []

    def count(self, name: str) -> int:
        return self.lines().count(name)


@pytest.fixture
def calls(tmp_path: Path) -> Counter:
    return Counter(tmp_path / "calls.txt")
