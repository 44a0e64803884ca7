"""Exact cache hits side by side: shipyard's gateway vs LiteLLM's proxy, each with its cache on.

The upstream (``upstream.py``) answers after ``--miss-delay-ms`` (default 20
ms), so a miss is unmistakable. shipyard: ``shipyard gateway`` with
``cache: {exact: true}`` (default stages, tracing on: a hit is traced too);
LiteLLM 1.106.2: ``cache: true`` with its in-memory cache (``type: local``),
one worker, no database. Each is primed with one request; the next identical
request must not reach the upstream (its request counter is checked, and
shipyard's answer must say ``x-shipyard-cache: exact``). Then ``wrk`` sends
the same body for ``--duration`` seconds per connection count
(``--connections``, default 1 and 8), ``--rounds`` rounds, medians over
rounds; the upstream must see no request during a measured run.

Pinning as in ``gateway_overhead.py``: the gateway on CPU 0; upstream, wrk
and this driver on CPU 1. Prints two JSON lines (``tool`` shipyard, litellm).

    python benchmarks/gateway/cache_hit.py [--connections 1,8] [--duration 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _common as c  # noqa: E402
import _gateways as g  # noqa: E402
import _servers as s  # noqa: E402
import _wrk  # noqa: E402

TOOLS = ("shipyard", "litellm")
CHAT = "/v1/chat/completions"


def prime(tool: str, server: s.Server, upstream: s.Server) -> dict[str, Any]:
    """A miss then a hit; the hit must not reach the upstream."""
    url = g.root(server) + CHAT
    t0 = time.perf_counter()
    g.check_chat(tool, url)
    miss_ms = (time.perf_counter() - t0) * 1e3
    before = g.completions_served(upstream)
    t0 = time.perf_counter()
    hit = g.check_chat(tool, url)
    hit_ms = (time.perf_counter() - t0) * 1e3
    if g.completions_served(upstream) != before:
        raise SystemExit(f"{tool}: the second identical request reached the upstream: no cache hit")
    marker = hit["headers"].get("x-shipyard-cache")
    if tool == "shipyard" and marker != "exact":
        raise SystemExit(f"shipyard: a cache hit must say x-shipyard-cache: exact, got {marker!r}")
    print(
        f"{tool}: first call {miss_ms:.1f} ms (miss), second {hit_ms:.1f} ms (hit)", file=sys.stderr
    )
    return {
        "first_call_ms": round(miss_ms, 3),
        "second_call_ms": round(hit_ms, 3),
        "hit_headers": {k: v for k, v in hit["headers"].items() if k.startswith("x-")},
    }


def measure(
    tool: str,
    server: s.Server,
    upstream: s.Server,
    body: Path,
    conns: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    url = g.root(server) + CHAT
    cpus = {1} if args.pin else None
    _wrk.run(url, body, conns, args.warmup, cpus=cpus)
    served0, cpu0, t0 = g.completions_served(upstream), server.cpu_seconds(), time.perf_counter()
    result = _wrk.run(url, body, conns, args.duration, cpus=cpus)
    result["server_cpu"] = round((server.cpu_seconds() - cpu0) / (time.perf_counter() - t0), 3)
    result["upstream_requests"] = g.completions_served(upstream) - served0
    if result["errors"]:
        raise SystemExit(f"{tool}: {result['errors']} failed requests ({result['error_kinds']})")
    if result["upstream_requests"]:
        raise SystemExit(
            f"{tool}: {result['upstream_requests']} of {result['requests']} identical requests "
            "reached the upstream: not all were cache hits"
        )
    print(
        f"{tool:9s} c={conns:<3d} {result['rps']:9.1f} hits/s  p50 {result['p50_ms']:7.3f} ms  "
        f"p99 {result['p99_ms']:7.3f} ms  server cpu {result['server_cpu']:.2f}",
        file=sys.stderr,
    )
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tool", choices=("side-by-side",), default="side-by-side", help="always both")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    p.add_argument("--connections", default="1,8", help="comma-separated connection counts")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--miss-delay-ms", type=float, default=20.0, help="the upstream's latency")
    p.add_argument("--tools", default=",".join(TOOLS), help="debugging: only some of them")
    p.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin CPUs")
    args = p.parse_args()
    levels = [int(x) for x in args.connections.split(",")]
    tools = tuple(t for t in TOOLS if t in args.tools.split(","))
    if args.pin and (os.cpu_count() or 1) < 2:
        args.pin = False
    if args.pin:
        os.sched_setaffinity(0, {1})
    under_test = {0} if args.pin else None

    with c.temp_store("cache_hit", args.keep) as base:
        body = base / "chat.json"
        body.write_text(json.dumps(g.CHAT_BODY))
        upstream = g.upstream(base, "upstream", args.miss_delay_ms, {1} if args.pin else None)
        backend = g.root(upstream)
        procs: dict[str, s.Server] = {}
        if "shipyard" in tools:
            procs["shipyard"] = g.shipyard_gateway(base, backend, under_test, cache=True)
        if "litellm" in tools:
            procs["litellm"] = g.litellm_proxy(base, backend, under_test, cache=True)
        versions = {
            "shipyard": c.tool_version("shipyard"),
            "litellm": g.litellm_version() if "litellm" in tools else None,
        }
        results: dict[str, dict[int, list[dict[str, Any]]]] = {
            t: {n: [] for n in levels} for t in tools
        }
        extra: dict[str, dict[str, Any]] = {t: {} for t in tools}
        started = [upstream]
        try:
            upstream.start()
            for tool in tools:
                procs[tool].start()
                started.append(procs[tool])
                extra[tool] = prime(tool, procs[tool], upstream)
            for r in range(args.rounds):
                for conns in levels:
                    for tool in tools if r % 2 == 0 else tools[::-1]:
                        results[tool][conns].append(
                            measure(tool, procs[tool], upstream, body, conns, args)
                        )
            for tool in tools:
                extra[tool]["rss_mb_end"] = round(procs[tool].rss_mb(), 1)
        finally:
            for server in reversed(started):
                server.stop()

    conditions = {
        "upstream_delay_ms": args.miss_delay_ms,
        "pinned": {"gateway": [0], "upstream_wrk_driver": [1]} if args.pin else None,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "connections": levels,
        "load_generator": _wrk.wrk_version() + ", 1 thread, closed loop, keep-alive",
        "body": g.CHAT_BODY,
    }
    for tool in tools:
        flat: dict[str, Any] = {}
        for n in levels:
            for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "server_cpu"):
                flat[f"c{n}_{k}"] = round(statistics.median(x[k] for x in results[tool][n]), 4)
        low = min(levels)
        record = {
            "bench": "cache_hit",
            "tool": tool,
            "version": versions[tool],
            "metric": f"c{low}_p50_ms",
            "value": flat[f"c{low}_p50_ms"],
            "unit": "ms",
            "python": sys.version.split()[0],
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **flat,
            "conditions": conditions,
            **extra[tool],
            "rounds": {str(n): results[tool][n] for n in levels},
        }
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
