"""What a run ran on: git commit and dirty flag, Python, packages, platform, command line.

Captured once per process (listing installed packages takes tens of
milliseconds) and stored once per distinct content, so thousands of runs
share one row.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from importlib.metadata import distributions
from typing import Any


def capture_environment() -> dict[str, Any]:
    env = dict(_static_environment())
    env["command"] = [os.path.basename(sys.argv[0]) if sys.argv else "", *sys.argv[1:]]
    env["cwd"] = os.getcwd()
    env["git"] = _git(os.getcwd())
    return env


@functools.cache
def _static_environment() -> dict[str, Any]:
    packages = {}
    for dist in distributions():
        name = dist.metadata.get("Name")
        if name:
            packages[name.lower()] = dist.version
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "executable": sys.executable,
        "packages": dict(sorted(packages.items())),
    }


@functools.cache
def _git(cwd: str) -> dict[str, Any] | None:
    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    if commit is None:
        return None
    status = run("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "branch": run("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(status),
        "remote": run("config", "--get", "remote.origin.url"),
    }
