"""Where a ``shipyard serve`` process spends its CPU under load: the server in this process,
profiled, while ``loadgen.py`` drives it from another.

Not a benchmark (profiling slows the server down several times); a tool to
find the hot path when the REST figures disappoint. It registers the same
credit model in a fresh home, starts the model server in this process
(``shipyard.serving.runner.run_model_server``, the code ``shipyard serve``
runs) with a profiler on, runs the load generator for ``--duration`` seconds
at ``--concurrency`` single-row requests, then prints the functions with the
most CPU time, per thread (the event loop, the predict worker, the
prediction-log writer).

yappi profiles every thread; it is not a shipyard dependency, so install it
beside the venv, not into it:

    .venv/bin/python -m pip install --target /tmp/yappi-lib yappi
    PYTHONPATH=/tmp/yappi-lib .venv/bin/python benchmarks/serving/profile_server.py --concurrency 16

Without yappi it falls back to cProfile, which sees only the event loop's thread.
Pinning as in ``serving_rest.py``: the server to CPU 0, the load to CPU 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c
import _credit
import _servers as s
from _models import shipyard_model

HERE = Path(__file__).resolve().parent


def drive(port: int, bodies: Path, args: argparse.Namespace, done: dict[str, object]) -> None:
    """Wait for the server, run the load, stop the profiler, then stop the server (SIGINT)."""
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            s.get_json(url + "/health")
            break
        except OSError:
            time.sleep(0.1)
    done["start"] = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "loadgen.py"),
            "--url",
            url + "/predict",
            "--bodies",
            str(bodies),
            "--concurrency",
            str(args.concurrency),
            "--warmup",
            "1",
            "--duration",
            str(args.duration),
        ],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=s.pin({1} if args.pin else None),
    )
    done["profile"] = stop_profiler()
    done["load"] = out.stdout.strip() or out.stderr[-2000:]
    os.kill(os.getpid(), signal.SIGINT)


_profiler: object = None


def start_profiler(kind: str) -> None:
    global _profiler
    if kind == "yappi":
        import yappi

        yappi.set_clock_type("cpu")
        yappi.start()
    else:
        import cProfile

        _profiler = cProfile.Profile()
        _profiler.enable()


def stop_profiler() -> str:
    import io

    buf = io.StringIO()
    if _profiler is None:
        import yappi

        yappi.stop()
        for thread in yappi.get_thread_stats():
            stats = yappi.get_func_stats(ctx_id=thread.id)
            if not stats:
                continue
            buf.write(f"\n=== thread {thread.name} (id {thread.id}): {thread.ttot:.2f} s CPU ===\n")
            stats.sort("ttot", "desc")
            for row in list(stats)[:60]:
                name = f"{Path(row.module).name}:{row.lineno} {row.name}"
                buf.write(f"{row.ttot:8.3f} {row.tsub:8.3f} {row.ncall:>9} {name}\n")
    else:
        import pstats

        _profiler.disable()  # type: ignore[attr-defined]
        pstats.Stats(_profiler, stream=buf).sort_stats("cumulative").print_stats(60)
    return buf.getvalue()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--no-pin", dest="pin", action="store_false")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--no-log", action="store_true", help="serve without the prediction log")
    p.add_argument("--max-wait-ms", type=float, default=0.0)
    args = p.parse_args()
    try:
        import yappi  # noqa: F401

        kind = "yappi"
    except ImportError:
        kind = "cprofile"
    if args.pin and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {0})
    else:
        args.pin = False

    with c.temp_store("profile_server", args.keep) as base:
        train = base / "train.parquet"
        _credit.make_table(20_000).to_parquet(train)
        shipyard_model(base / "shipyard", train)
        bodies = base / "bodies.json"
        bodies.write_text(json.dumps([{"records": [r]} for r in _credit.request_rows(1000)]))

        from shipyard.serving.config import ServeConfig
        from shipyard.serving.runner import run_model_server

        port = s.free_port()
        config = ServeConfig(
            source="model:credit@production",
            port=port,
            log_predictions=not args.no_log,
            max_wait_ms=args.max_wait_ms,
        )
        done: dict[str, object] = {}
        threading.Thread(target=drive, args=(port, bodies, args, done), daemon=True).start()
        start_profiler(kind)
        with contextlib.suppress(KeyboardInterrupt):
            run_model_server(config)
    print(f"profiler: {kind}; load: {done.get('load')}")
    print(done.get("profile", "no profile (the load did not finish)"))


if __name__ == "__main__":
    main()
