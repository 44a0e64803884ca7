"""Where a ``shipyard gateway`` process spends its CPU under load, sampled with py-spy.

Not a benchmark (a tool for when the overhead figures disappoint): it starts
the same processes as ``gateway_overhead.py`` (the upstream on CPU 1, the
gateway on CPU 0, its default stages, tracing on, no keys; ``--cache`` turns
the exact cache on and sends the same request, so every call is a hit), drives
it with wrk at ``--connections`` for ``--duration`` seconds and samples the
gateway meanwhile with ``py-spy record --format raw --gil`` (every thread,
only samples of the thread holding the GIL: the Python work that limits one
gateway process). Then it prints, over those samples:
the share of samples per thread kind, the functions with the largest
inclusive share (the frame anywhere on the stack) and the largest self share
(the innermost Python frame), so the cost of each stage and library shows.

py-spy is not a shipyard dependency; install it apart (a binary wheel):

    python3 -m venv /tmp/pyspy && /tmp/pyspy/bin/pip install py-spy
    .venv/bin/python benchmarks/gateway/profile_gateway.py --py-spy /tmp/pyspy/bin/py-spy

py-spy reads another process's memory: it needs root or ptrace permission.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _common as c  # noqa: E402
import _gateways as g  # noqa: E402
import _wrk  # noqa: E402

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    """``func (path/to/file.py:12)`` → ``func (file.py)``, with shipyard paths from the package."""
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m.group("file")
    if "/shipyard/" in path:
        path = "shipyard/" + path.split("/shipyard/", 1)[1]
    elif "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    else:
        path = os.path.basename(path)
    return f"{m.group('func')} ({path})"


def thread_kind(label: str) -> str:
    """``thread (123): shipyard-gateway_3`` → ``shipyard-gateway`` (pool threads together)."""
    name = re.sub(r"^thread \(\w+\):?\s*", "", label)
    return re.sub(r"_\d+$", "", name) or label


def report(raw: str, top: int) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        parts = stack.split(";")
        thread, frames = parts[0], [short(f) for f in parts[1:]]
        if not frames:
            continue
        total += count
        threads[thread_kind(thread)] += count
        for f in set(frames):
            inclusive[f] += count
        own[frames[-1]] += count
    if not total:
        return "no samples"
    out = [f"{total} samples on CPU"]
    out.append("\nby thread:")
    out += [f"  {n / total:6.1%}  {k}" for k, n in threads.most_common()]
    out.append(f"\ninclusive (top {top}):")
    out += [f"  {n / total:6.1%}  {k}" for k, n in inclusive.most_common(top)]
    out.append(f"\nself (top {top}):")
    out += [f"  {n / total:6.1%}  {k}" for k, n in own.most_common(top)]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    p.add_argument("--cache", action="store_true", help="exact cache on: every call is a hit")
    p.add_argument("--top", type=int, default=45)
    p.add_argument(
        "--no-gil",
        dest="gil",
        action="store_false",
        help="also count samples of threads not holding the GIL (py-spy's idle test is unreliable "
        "here: threads blocked in recv are sampled as running)",
    )
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    pin = (os.cpu_count() or 1) >= 2
    if pin:
        os.sched_setaffinity(0, {1})
    with c.temp_store("profile_gateway", args.keep) as base:
        body = base / "chat.json"
        body.write_text(json.dumps(g.CHAT_BODY))
        upstream = g.upstream(base, "upstream", 0, {1} if pin else None)
        gateway = g.shipyard_gateway(base, g.root(upstream), {0} if pin else None, cache=args.cache)
        try:
            upstream.start()
            gateway.start()
            g.check_chat("shipyard", g.root(gateway) + "/v1/chat/completions")
            url = g.root(gateway) + "/v1/chat/completions"
            _wrk.run(url, body, args.connections, 2, cpus={1} if pin else None)
            assert gateway.proc is not None
            out = base / "profile.txt"
            spy = subprocess.Popen(
                [
                    args.py_spy,
                    "record",
                    "--pid",
                    str(gateway.proc.pid),
                    "--format",
                    "raw",
                    "--rate",
                    str(args.rate),
                    "--duration",
                    str(round(args.duration)),
                    "--threads",
                    "--nonblocking",
                    *(["--gil"] if args.gil else []),
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(1)
            load = _wrk.run(url, body, args.connections, args.duration, cpus={1} if pin else None)
            _, err = spy.communicate(timeout=args.duration + 60)
            if spy.returncode != 0 or not out.exists():
                raise SystemExit(f"py-spy failed ({spy.returncode}): {err[-2000:]}")
            print(
                f"under profiling: {load['rps']:.0f} requests/s at {args.connections} connections, "
                f"p50 {load['p50_ms']:.2f} ms (py-spy slows the process a little)\n"
            )
            print(report(out.read_text(), args.top))
        finally:
            gateway.stop()
            upstream.stop()


if __name__ == "__main__":
    main()
