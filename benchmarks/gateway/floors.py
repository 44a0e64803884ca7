"""Floors for the gateway overhead: ``floor_app.py``'s ways of forwarding, driven by wrk.

Starts the upstream (CPU 1) and ``floor_app`` under uvicorn with uvloop and
httptools, one worker (CPU 0), as ``gateway_overhead.py`` places a gateway,
then measures each route at 1 and 8 connections (``--duration`` s each after
a 1 s warm-up). Prints one line per route and connection count: requests/s,
p50 and p99. What a gateway built each way could reach at best on this
machine, before any of its own logic.

    python benchmarks/gateway/floors.py [--duration 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _common as c  # noqa: E402
import _gateways as g  # noqa: E402
import _servers as s  # noqa: E402
import _wrk  # noqa: E402
import floor_app  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--connections", default="1,8")
    args = p.parse_args()
    pin = (os.cpu_count() or 1) >= 2
    if pin:
        os.sched_setaffinity(0, {1})
    with c.temp_store("floors") as base:
        body = base / "chat.json"
        body.write_text(json.dumps(g.CHAT_BODY))
        upstream = g.upstream(base, "upstream", 0, {1} if pin else None)
        port = s.free_port()
        app = s.Server(
            "floor_app",
            [
                str(Path(sys.executable).parent / "uvicorn"),
                "floor_app:app",
                "--port",
                str(port),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env={**os.environ, "UPSTREAM_URL": g.root(upstream)},  # its port is chosen already
            cwd=HERE,
            health=f"http://127.0.0.1:{port}/health",
            log=base / "floor_app.log",
            cpus={0} if pin else None,
        )
        try:
            upstream.start()
            app.start()
            for route in floor_app.ROUTES:
                for conns in (int(x) for x in args.connections.split(",")):
                    url = f"http://127.0.0.1:{port}{route}"
                    _wrk.run(url, body, conns, 1, cpus={1} if pin else None)
                    r = _wrk.run(url, body, conns, args.duration, cpus={1} if pin else None)
                    print(
                        f"{route:18s} c={conns:<3d} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.3f} ms  "
                        f"p99 {r['p99_ms']:7.3f} ms  errors {r['errors']}",
                        flush=True,
                    )
        finally:
            app.stop()
            upstream.stop()


if __name__ == "__main__":
    main()
