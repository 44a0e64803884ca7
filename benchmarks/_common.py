"""Helpers shared by the benchmark scripts.

This module must import under both interpreters: the shipyard venv and the
MLflow venv (which does not have shipyard installed). So: standard library only.
DVC is never imported: the registry benchmarks run in the shipyard venv and call
DVC's command line from its own venv (``dvc_command``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TOOLS = ("shipyard", "mlflow")
HERE = Path(__file__).resolve().parent

# Same settings for every MLflow process: no telemetry thread, no network calls.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")


def parser(description: str, tools: tuple[str, ...] = TOOLS) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--tool", choices=tools, required=True)
    p.add_argument(
        "--keep", action="store_true", help="keep the temporary store folder (path on stderr)"
    )
    return p


@contextlib.contextmanager
def temp_store(name: str, keep: bool = False) -> Iterator[Path]:
    """A fresh, empty folder for one benchmark run; removed afterwards unless ``keep``."""
    base = os.environ.get("BENCH_TMPDIR") or None
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=base))
    try:
        yield path
    finally:
        if keep:
            print(f"kept store: {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def use_shipyard_home(path: Path) -> None:
    """Point shipyard at ``path`` (must run before the first store is opened)."""
    os.environ["SHIPYARD_HOME"] = str(path)
    for key in ("SHIPYARD_DB", "SHIPYARD_BLOBS", "SHIPYARD_URI", "SHIPYARD_TOKEN"):
        os.environ.pop(key, None)


def mlflow_uri(path: Path) -> str:
    return f"sqlite:///{path / 'mlflow.db'}"


def quiet_mlflow() -> None:
    """MLflow logs INFO lines (database creation, new experiment) to stderr; keep them out."""
    import logging

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def tool_version(tool: str) -> str:
    if tool == "dvc":
        return dvc_version()
    if tool.startswith("mlflow"):
        import mlflow

        return str(mlflow.__version__)
    import shipyard

    return str(shipyard.__version__)


def count_rows(db: Path, sql: str, args: tuple[Any, ...] = ()) -> int:
    """Count rows with a separate sqlite3 connection: proof the data reached the file."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def emit(bench: str, tool: str, metric: str, value: float, unit: str, **details: Any) -> None:
    """Print the one JSON result line ``run.sh`` collects (stdout carries nothing else)."""
    record = {
        "bench": bench,
        "tool": tool,
        "version": tool_version(tool),
        "metric": metric,
        "value": value,
        "unit": unit,
        "python": sys.version.split()[0],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **details,
    }
    sys.stdout.write(json.dumps(record, sort_keys=False) + "\n")
    sys.stdout.flush()


# -- DVC, through its command line -------------------------------------------------------


def dvc_command() -> list[str]:
    """How to run DVC: ``$DVC_PYTHON -m dvc`` if set, else ``benchmarks/.venv-dvc/bin/dvc``."""
    python = os.environ.get("DVC_PYTHON")
    if python:
        script = Path(python).parent / "dvc"
        return [str(script)] if script.is_file() else [python, "-m", "dvc"]
    script = HERE / ".venv-dvc" / "bin" / "dvc"
    if not script.is_file():
        raise SystemExit(
            f"no DVC at {script}: run benchmarks/run.sh once (it creates the venv) "
            "or set DVC_PYTHON to an interpreter that has dvc"
        )
    return [str(script)]


def dvc_env(base: Path | None = None) -> dict[str, str]:
    """DVC's environment: no analytics, no update check, no Studio, config kept under ``base``."""
    env = dict(os.environ)
    env.update(DVC_NO_ANALYTICS="1", DVC_STUDIO_OFFLINE="1", GIT_TERMINAL_PROMPT="0")
    if base is not None:
        # Global and system config in the throw-away folder, with the update check
        # and analytics off from the very first command (``dvc init`` included).
        for var, name in (("DVC_GLOBAL_CONFIG_DIR", "global"), ("DVC_SYSTEM_CONFIG_DIR", "system")):
            folder = base / f"dvc-{name}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "config").write_text(
                "[core]\n    analytics = false\n    check_update = false\n"
            )
            env[var] = str(folder)
        env["DVC_SITE_CACHE_DIR"] = str(base / "dvc-site-cache")
    return env


def dvc_version() -> str:
    out = subprocess.run(
        [*dvc_command(), "--version"], env=dvc_env(), capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def run_dvc(repo: Path, *args: str, env: dict[str, str]) -> float:
    """Run ``dvc ARGS`` in ``repo``; return its wall-clock seconds (the whole process)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*dvc_command(), *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - t0
    print(f"$ dvc {' '.join(args)}  ({elapsed:.2f} s)", file=sys.stderr)
    for stream in (proc.stdout, proc.stderr):
        if stream.strip():
            print(stream.rstrip()[-2000:], file=sys.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"dvc {' '.join(args)} failed with exit code {proc.returncode}")
    return elapsed


def dvc_repo(base: Path) -> tuple[Path, Path, dict[str, str]]:
    """A fresh git + DVC repository under ``base`` with a local folder as its default remote.

    Returns ``(repo, remote, env)``. Nothing goes to the network: the remote is
    a folder, analytics and the update check are off (env and config).
    """
    env = dvc_env(base)
    repo, remote = base / "repo", base / "remote"
    repo.mkdir()
    remote.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, env=env, check=True)
    run_dvc(repo, "init", "-q", env=env)
    run_dvc(repo, "config", "core.analytics", "false", env=env)
    run_dvc(repo, "config", "core.check_update", "false", env=env)
    run_dvc(repo, "remote", "add", "-d", "store", str(remote), env=env)
    return repo, remote, env


def dvc_overhead(repo: Path, env: dict[str, str]) -> dict[str, float]:
    """What any DVC command costs before doing work: best of 3 ``dvc --version`` (no
    repository) and of 3 ``dvc config core.remote`` (opens the repository, reads a value)."""
    return {
        "cli_version_s": min(run_dvc(repo, "--version", env=env) for _ in range(3)),
        "cli_noop_in_repo_s": min(
            run_dvc(repo, "config", "core.remote", env=env) for _ in range(3)
        ),
    }


def tree_digest(root: Path) -> tuple[int, int, str]:
    """``(files, bytes, sha256 over sorted (path, content))`` of a folder, to compare copies."""
    import hashlib

    h = hashlib.sha256()
    files = total = 0
    paths = sorted(
        (os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/"), os.path.join(d, n))
        for d, _, names in os.walk(root)
        for n in names
    )
    for rel, full in paths:
        data = Path(full).read_bytes()
        h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
        files += 1
        total += len(data)
    return files, total, h.hexdigest()
