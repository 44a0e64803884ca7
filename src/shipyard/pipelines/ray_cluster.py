"""Connect to Ray: an existing cluster by address, or a private local instance.

Ray does the scheduling across machines; shipyard only connects. On a laptop
(no address) a local instance is started once per process with its files kept
inside the shipyard home, token authentication off (it is reachable only from
this machine) and no dashboard. Workers find the workspace through the
``SHIPYARD_*`` variables passed in their runtime environment, so they write to
the same store and blobs as the driver.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.workspace import Workspace

_lock = threading.Lock()


def ray_module() -> Any:
    """The ``ray`` package, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise InvalidInput(
            "the ray executor needs Ray: pip install 'shipyard[ray]' (or use executor='local')"
        ) from None
    return ray


def workspace_env(ws: Workspace) -> dict[str, str]:
    """The environment a worker needs to open the same workspace as this process."""
    s = ws.settings
    if s.uri is not None:
        env = {"SHIPYARD_URI": s.uri}
        if s.token:
            env["SHIPYARD_TOKEN"] = s.token
        return env
    return {"SHIPYARD_HOME": str(s.home), "SHIPYARD_DB": s.db, "SHIPYARD_BLOBS": s.blobs}


def connect(ws: Workspace, address: str | None = None, num_cpus: int | None = None) -> Any:
    """Make sure this process is connected to Ray; return the ``ray`` module.

    ``address`` is a cluster address (``ray://host:10001`` or ``host:6379``);
    without one, an instance already running in this process is reused, else a
    local one is started. A local store (SQLite, a folder) is only reachable by
    workers on this machine; a cluster needs PostgreSQL and S3 (or SHIPYARD_URI).
    """
    ray = ray_module()
    address = address or os.environ.get("SHIPYARD_RAY_ADDRESS") or None
    with _lock:
        if ray.is_initialized():
            return ray
        runtime_env = {"env_vars": workspace_env(ws)}
        if address:
            ray.init(
                address=address,
                runtime_env=runtime_env,
                log_to_driver=False,
                logging_level="WARNING",
            )
            return ray
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        ray.init(
            num_cpus=num_cpus or os.cpu_count() or 1,
            include_dashboard=False,
            runtime_env=runtime_env,
            log_to_driver=False,
            logging_level="WARNING",
            _temp_dir=str(_temp_dir()),
        )
        return ray


def shutdown() -> None:
    """Stop this process's connection (and the local instance it started, if any)."""
    try:
        import ray
    except ImportError:
        return
    with _lock:
        if ray.is_initialized():
            ray.shutdown()


def _temp_dir() -> Path:
    # Ray's socket paths must stay under 107 bytes, so a deep shipyard home
    # cannot hold them; a short per-user folder in /tmp can.
    path = Path("/tmp") / f"shipyard-ray-{os.getuid() if hasattr(os, 'getuid') else 0}"
    path.mkdir(parents=True, exist_ok=True)
    return path
