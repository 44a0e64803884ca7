"""Helpers shared by the benchmark scripts.

This module must import under both interpreters: the shipyard venv and the
MLflow venv (which does not have shipyard installed). So: standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TOOLS = ("shipyard", "mlflow")

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
