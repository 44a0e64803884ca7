"""The credit model on each side, ready to serve, and the JSON line a driver prints.

Runs in the shipyard venv (the drivers); the MLflow side is a subprocess in
the MLflow venv (``mlflow_model.py``), since the two venvs cannot share a process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c
import _credit

HERE = Path(__file__).resolve().parent
ALIAS = "production"
NAME = "credit"


def mlflow_python() -> Path:
    """``$MLFLOW_PYTHON``, else the venv ``run.sh`` makes (``benchmarks/.venv-mlflow``)."""
    python = os.environ.get("MLFLOW_PYTHON")
    path = Path(python) if python else HERE.parent / ".venv-mlflow" / "bin" / "python"
    if not path.exists():
        raise SystemExit(
            f"no MLflow interpreter at {path}: run benchmarks/run.sh once (it creates the venv) "
            "or set MLFLOW_PYTHON to an interpreter that has mlflow==3.17.2"
        )
    return path


def shipyard_model(home: Path, train: Path) -> tuple[Any, dict[str, Any]]:
    """Fit and register the model in a fresh shipyard home, alias it ``production``.

    Returns the fitted estimator (to check the servers' answers against) and
    what was registered.
    """
    c.use_shipyard_home(home)
    import shipyard as sy
    from shipyard.assets.aliases import move_alias

    model, features = _credit.fit(str(train))
    t0 = time.perf_counter()
    version = sy.models.register(model, NAME, sample_input=features.head(5))
    register_s = time.perf_counter() - t0
    move_alias(version.ref, ALIAS)
    return model, {
        "ref": f"model:{NAME}@{ALIAS}",
        "version": version.ref,
        "register_s": round(register_s, 3),
    }


def mlflow_env(store: Path) -> dict[str, str]:
    """MLflow commands' environment: its venv first on PATH (``mlflow models serve`` runs
    ``uvicorn`` from PATH, as in an activated venv) and the store as tracking URI."""
    env = dict(os.environ)
    env["PATH"] = f"{mlflow_python().parent}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_TRACKING_URI"] = c.mlflow_uri(store)
    return env


def mlflow_script(script: str, *args: str, store: Path) -> dict[str, Any]:
    """Run ``script`` (in this folder) with MLflow's interpreter; return its last JSON line."""
    out = subprocess.run(
        [str(mlflow_python()), str(HERE / script), *args],
        cwd=store,
        env=mlflow_env(store),
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(out.stderr[-3000:])
    if out.returncode != 0:
        raise SystemExit(f"{script} failed with exit code {out.returncode}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def mlflow_model(store: Path, train: Path) -> dict[str, Any]:
    """Fit and log the model with MLflow in ``store`` (see ``mlflow_model.py``)."""
    store.mkdir(parents=True, exist_ok=True)
    return mlflow_script(
        "mlflow_model.py", "--train", str(train), "--store", str(store), store=store
    )


def emit(
    bench: str, tool: str, version: str, metric: str, value: float, unit: str, **details: Any
) -> None:
    """``_common.emit`` with the version given: a driver cannot import mlflow."""
    record = {
        "bench": bench,
        "tool": tool,
        "version": version,
        "metric": metric,
        "value": value,
        "unit": unit,
        "python": sys.version.split()[0],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **details,
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
