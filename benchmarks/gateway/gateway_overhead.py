"""Gateway overhead side by side: the upstream alone vs shipyard's gateway vs LiteLLM's proxy.

One driver (this script, in the shipyard venv) runs, in one session on one machine:

- **upstream**: ``upstream.py``, a fixed-latency OpenAI-compatible server
  (``--delay-ms``, default 0), called directly: the baseline;
- **shipyard**: ``shipyard gateway --config F --port P`` with one alias
  ``bench`` whose only target is an ``openai`` provider on a second copy of the
  same upstream; default stages, tracing on (spans written to its SQLite
  store), no keys required, no cache;
- **litellm**: ``litellm --config F --port P --num_workers 1`` (LiteLLM
  1.106.2 in its own venv), the same alias on the same upstream copy, no
  database, no master key.

Load: ``wrk`` (one thread, closed loop, N keep-alive connections), the same
chat completion body for every request. For each connection count in
``--connections`` (default 1, 8, 32) and each tool: a ``--warmup`` run (not
counted), then ``--duration`` seconds; ``--rounds`` rounds with the order of
the tools rotated; the figures are the medians over rounds. The overhead of a
gateway is its p50 (p99) latency minus the upstream's p50 (p99) at one
connection, taken per round, then the median.

Checks: every answer under load must be 2xx (wrk counts the rest) and, for
the gateways, the upstream's own request counter must grow by the requests
wrk saw (give or take the ones in flight), so each request really went
through. Before the load, one chat call per tool must return the upstream's
text and usage.

On a machine with 2+ CPUs the process under test (the upstream alone, or a
gateway) is pinned to CPU 0; the upstream copy behind the gateways, wrk and
this driver to CPU 1 (``--no-pin`` to turn it off). Prints three JSON lines
(``tool`` upstream, shipyard, litellm).

    python benchmarks/gateway/gateway_overhead.py [--connections 1,8,32] [--duration 10] [--rounds 3]
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

TOOLS = ("upstream", "shipyard", "litellm")
CHAT = "/v1/chat/completions"


def measure(
    tool: str,
    server: s.Server,
    counter: s.Server,
    others: list[s.Server],
    body: Path,
    conns: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """A warm-up then one measured wrk run against ``server``; ``counter`` is the upstream it uses."""
    url = g.root(server) + CHAT
    client_cpus = {1} if args.pin else None
    _wrk.run(url, body, conns, args.warmup, cpus=client_cpus)
    settle(counter)
    served0 = g.completions_served(counter)
    cpu0 = [p.cpu_seconds() for p in (server, *others)]
    t0 = time.perf_counter()
    result = _wrk.run(url, body, conns, args.duration, cpus=client_cpus)
    wall = time.perf_counter() - t0
    cpu1 = [p.cpu_seconds() for p in (server, *others)]
    settle(counter)
    served = g.completions_served(counter) - served0
    result["server_cpu"] = round((cpu1[0] - cpu0[0]) / wall, 3)
    result["idle_peers_cpu"] = round(
        sum(b - a for a, b in zip(cpu0[1:], cpu1[1:], strict=True)) / wall, 3
    )
    result["upstream_requests"] = served
    if result["errors"]:
        raise SystemExit(
            f"{tool}: {result['errors']} failed requests at {conns} connections "
            f"({result['error_kinds']}); see its log"
        )
    # every request wrk counted reached the upstream once; a few more may have been in flight
    # at either end of the run (a gateway keeps forwarding what it had read when wrk stops)
    if not result["requests"] <= served <= result["requests"] + 2 * conns:
        raise SystemExit(
            f"{tool}: wrk counted {result['requests']} answers but the upstream served {served}"
        )
    print(
        f"{tool:9s} c={conns:<3d} {result['rps']:9.1f} req/s  p50 {result['p50_ms']:7.3f} ms  "
        f"p99 {result['p99_ms']:7.3f} ms  server cpu {result['server_cpu']:.2f}  "
        f"wrk cpu {result['wrk_cpu']:.2f}  idle peers cpu {result['idle_peers_cpu']:.2f}",
        file=sys.stderr,
    )
    return result


def settle(counter: s.Server, quiet_s: float = 1.0, limit_s: float = 15.0) -> None:
    """Wait until requests still in flight when wrk stopped have reached the upstream.

    wrk closes its connections at the end of a run, but a gateway may still be
    working on (and forwarding) the requests it had read; they must not count
    in the next run.
    """
    last, since, t0 = g.completions_served(counter), time.perf_counter(), time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        time.sleep(0.1)
        now = g.completions_served(counter)
        if now != last:
            last, since = now, time.perf_counter()
        elif time.perf_counter() - since >= quiet_s:
            return


def summarize(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "server_cpu", "wrk_cpu")
    return {k: round(statistics.median(r[k] for r in runs), 4) for k in keys}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tool", choices=("side-by-side",), default="side-by-side", help="always all")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    p.add_argument("--connections", default="1,8,32", help="comma-separated connection counts")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--delay-ms", type=float, default=0.0, help="the upstream's fixed latency")
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
    beside = {1} if args.pin else None

    with c.temp_store("gateway_overhead", args.keep) as base:
        body = base / "chat.json"
        body.write_text(json.dumps(g.CHAT_BODY))
        direct = g.upstream(base, "upstream", args.delay_ms, under_test)
        behind = g.upstream(base, "upstream-behind", args.delay_ms, beside)
        backend = g.root(behind)
        procs: dict[str, s.Server] = {"upstream": direct}
        if "shipyard" in tools:
            procs["shipyard"] = g.shipyard_gateway(base, backend, under_test)
        if "litellm" in tools:
            procs["litellm"] = g.litellm_proxy(base, backend, under_test)
        versions = {
            "upstream": "upstream.py",
            "shipyard": c.tool_version("shipyard"),
            "litellm": g.litellm_version() if "litellm" in tools else None,
        }
        results: dict[str, dict[int, list[dict[str, Any]]]] = {
            t: {n: [] for n in levels} for t in tools
        }
        extra: dict[str, dict[str, Any]] = {t: {} for t in tools}
        started = [behind]
        try:
            behind.start()
            for tool in tools:
                server = procs[tool]
                server.start()
                started.append(server)
                checked = g.check_chat(tool, g.root(server) + CHAT)
                extra[tool]["start_s"] = round(server.start_s or 0, 2)
                extra[tool]["response_headers"] = {
                    k: v for k, v in checked["headers"].items() if k.startswith("x-")
                }
            print(f"all of {', '.join(tools)} answer with the upstream's text", file=sys.stderr)
            for r in range(args.rounds):
                for conns in levels:
                    order = tools[r % len(tools) :] + tools[: r % len(tools)]
                    for tool in order:
                        counter = direct if tool == "upstream" else behind
                        others = [procs[t] for t in tools if t != tool]
                        results[tool][conns].append(
                            measure(tool, procs[tool], counter, others, body, conns, args)
                        )
            for tool in tools:
                extra[tool]["rss_mb_end"] = round(procs[tool].rss_mb(), 1)
                print(f"--- {tool} log (end) ---\n{procs[tool].tail(1500)}", file=sys.stderr)
        finally:
            for server in reversed(started):
                server.stop()

    conditions = {
        "upstream_delay_ms": args.delay_ms,
        "workers": 1,
        "pinned": {"under_test": [0], "upstream_behind_wrk_driver": [1]} if args.pin else None,
        "nproc": os.cpu_count(),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "connections": levels,
        "load_generator": _wrk.wrk_version() + ", 1 thread, closed loop, keep-alive",
        "body": g.CHAT_BODY,
    }
    summary = {t: {n: summarize(results[t][n]) for n in levels} for t in tools}
    low = min(levels)
    for tool in tools:
        flat: dict[str, Any] = {}
        for n, fig in summary[tool].items():
            for k, v in fig.items():
                flat[f"c{n}_{k}"] = v
        if tool != "upstream" and "upstream" in tools:
            for q in ("p50", "p99"):
                added = [
                    mine[f"{q}_ms"] - base_run[f"{q}_ms"]
                    for mine, base_run in zip(
                        results[tool][low], results["upstream"][low], strict=True
                    )
                ]
                flat[f"c{low}_{q}_overhead_ms"] = round(statistics.median(added), 4)
            for n in levels:
                flat[f"c{n}_rps_vs_upstream"] = round(
                    summary[tool][n]["rps"] / summary["upstream"][n]["rps"], 4
                )
        top = max(levels)
        record = {
            "bench": "gateway_overhead",
            "tool": tool,
            "version": versions[tool],
            "metric": f"c{top}_rps",
            "value": summary[tool][top]["rps"],
            "unit": "requests/s",
            "python": sys.version.split()[0],
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **flat,
            "conditions": conditions,
            "server_cmd": " ".join(
                Path(a).name if i == 0 else a for i, a in enumerate(procs[tool].cmd)
            ),
            **extra[tool],
            "rounds": {str(n): results[tool][n] for n in levels},
        }
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
