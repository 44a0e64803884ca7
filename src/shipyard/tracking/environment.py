"""What a run ran on: git commit and dirty flag, Python, packages, platform, command line.

Python, packages and platform are captured once per process (listing installed
packages takes tens of milliseconds); git state is read at every run start,
since it changes while a process lives. An environment is stored once per
distinct content, so thousands of runs share one row.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from importlib.metadata import Distribution, distributions
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
        name, version = _name_version(dist)
        if name and version:
            packages[name.lower()] = version
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "executable": sys.executable,
        "packages": dict(sorted(packages.items())),
    }


def _name_version(dist: Distribution) -> tuple[str | None, str | None]:
    """Name and version from the metadata's header lines.

    ``dist.metadata`` runs the e-mail parser over the whole file (twice with
    ``dist.version``): about half a second for a few hundred packages, paid by
    every process that starts a run. The two headers are all we need.
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if text is None:
        return None, None
    name = version = None
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first blank line
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
        if name and version:
            break
    return name, version


def _git(cwd: str) -> dict[str, Any] | None:
    """Commit, branch and dirty flag now: not cached, a notebook may commit between runs."""

    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout if out.returncode == 0 else None

    # One call gives commit, branch and changed tracked files.
    status = run("status", "--porcelain=v2", "--branch", "--untracked-files=no")
    if status is None:
        return None
    commit = branch = None
    dirty = False
    for line in status.splitlines():
        if line.startswith("# branch.oid "):
            commit = line.removeprefix("# branch.oid ").strip()
        elif line.startswith("# branch.head "):
            branch = line.removeprefix("# branch.head ").strip()
        elif line and not line.startswith("#"):
            dirty = True
    if commit is None or commit == "(initial)":
        return None
    remote = run("config", "--get", "remote.origin.url")
    return {
        "commit": commit,
        "branch": "HEAD" if branch == "(detached)" else branch,
        "dirty": dirty,
        "remote": remote.strip() if remote else None,
    }
