"""Drive HTTP load with wrk (Debian's ``wrk`` package) and read its numbers as JSON.

wrk is a C load generator: one thread on its own CPU drives tens of thousands
of requests/s here, so it is never what limits a Python gateway (a Python
client on 2 cores would be). ``post.lua`` sets the POST body and prints, at the
end, the request count, the errors and the latency percentiles in
microseconds. Closed loop: each of N keep-alive connections sends its next
request when the previous answer arrived.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "serving"))

import _servers as s  # noqa: E402


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "wrk is not installed: apt-get install -y wrk (benchmarks/run.sh gateway does it)"
        )
    return found


def wrk_version() -> str:
    out = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].split(" [")[0].strip()


def run(
    url: str,
    body_file: Path,
    connections: int,
    duration_s: float,
    *,
    cpus: set[int] | None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """One wrk run; returns requests/s, latency percentiles (ms), errors and wrk's own CPU."""
    cmd = [
        wrk_path(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        f"--timeout={timeout_s:g}s",
        "-s",
        str(HERE / "post.lua"),
        url,
    ]
    env = {
        **os.environ,
        "WRK_BODY_FILE": str(body_file),
        "WRK_HEADERS": "\n".join(f"{k}: {v}" for k, v in (headers or {}).items()),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        cmd, env=env, capture_output=True, text=True, check=False, preexec_fn=s.pin(cpus)
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({out.returncode}) on {url}:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(lines[-1])
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "connections": connections,
        "duration_s": round(seconds, 3),
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1e3,
        "p90_ms": raw["p90_us"] / 1e3,
        "p99_ms": raw["p99_us"] / 1e3,
        "max_ms": raw["max_us"] / 1e3,
        "mean_ms": raw["mean_us"] / 1e3,
        "errors": errors,
        "error_kinds": {k: v for k, v in raw["errors"].items() if v},
        "wrk_cpu": round(cpu / wall, 3) if wall else None,
    }
