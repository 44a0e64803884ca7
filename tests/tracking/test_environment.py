"""What a run records about where it ran: Python, packages, platform, command, git."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import shipyard as sy


def _environment(run_id: str) -> dict[str, Any]:
    digest = sy.get_run(run_id).env_digest
    assert digest is not None
    ws = sy.Workspace.open()
    try:
        return ws.store.environments.get(digest)
    finally:
        ws.close()


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    out = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def test_python_packages_platform_and_command() -> None:
    with sy.start_run() as run:
        pass
    env = _environment(run.id)
    assert env["python"] == platform.python_version()
    assert env["implementation"] == platform.python_implementation()
    assert env["platform"] == platform.platform()
    assert env["executable"] == sys.executable
    assert env["packages"]["sqlalchemy"] == version("sqlalchemy")
    assert env["packages"]["pytest"] == version("pytest")
    assert env["command"][0] == os.path.basename(sys.argv[0])
    assert env["command"][1:] == sys.argv[1:]
    assert env["cwd"] == os.getcwd()
    assert env["git"] is None  # the test's folder is not a repository


def test_runs_in_one_place_share_one_environment() -> None:
    with sy.start_run() as a:
        pass
    with sy.start_run() as b:
        pass
    assert sy.get_run(a.id).env_digest == sy.get_run(b.id).env_digest


def test_capture_can_be_turned_off() -> None:
    with sy.start_run(capture_env=False) as run:
        pass
    assert sy.get_run(run.id).env_digest is None


def test_git_commit_and_dirty_flag_follow_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("print('v1')\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "v1")
    first_commit = _git(repo, "rev-parse", "HEAD")
    monkeypatch.chdir(repo)

    with sy.start_run() as clean:
        pass
    git = _environment(clean.id)["git"]
    assert git == {"commit": first_commit, "branch": "main", "dirty": False, "remote": None}

    (repo / "train.py").write_text("print('v2')\n")
    with sy.start_run() as dirty:
        pass
    git = _environment(dirty.id)["git"]
    assert git["commit"] == first_commit and git["dirty"] is True

    _git(repo, "commit", "-q", "-am", "v2")
    _git(repo, "remote", "add", "origin", "https://example.com/team/repo.git")
    second_commit = _git(repo, "rev-parse", "HEAD")
    with sy.start_run() as committed:
        pass
    git = _environment(committed.id)["git"]
    assert git["commit"] == second_commit != first_commit
    assert git["dirty"] is False
    assert git["remote"] == "https://example.com/team/repo.git"

    # untracked files do not make a checkout dirty
    (repo / "scratch.txt").write_text("notes")
    with sy.start_run() as untracked:
        pass
    assert _environment(untracked.id)["git"]["dirty"] is False


def test_a_repository_without_commits_has_no_git_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    _git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    with sy.start_run() as run:
        pass
    assert _environment(run.id)["git"] is None
