"""Closed-loop HTTP load: N keep-alive connections, each sending its next request as soon
as the previous answer arrived, for a warm-up and then a fixed measured window.

Its own process (the driver starts it, pinned to a CPU of its own when it can),
standard library plus uvloop when present. It speaks just enough HTTP/1.1 to
keep the client cheap: each request's bytes are built before the clock, a
response is the status line, the headers up to the blank line, and
``Content-Length`` bytes of body (chunked bodies are read too). Every
response must be 200; anything else is counted and the first few bodies kept.

    python loadgen.py --url http://127.0.0.1:8080/predict --bodies bodies.json \
        --concurrency 16 --warmup 2 --duration 10

``bodies.json`` is a JSON list of request bodies (each a JSON value); client
``i`` starts at body ``i`` and steps by the concurrency, so the connections
send different rows. Prints one JSON object: requests, predictions/s,
latency percentiles (ms) over the requests that both started and finished
in the window, errors, and the CPU this process used (to show it was not
the bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import time
from urllib.parse import urlsplit


def build_requests(url: str, bodies: list[object]) -> list[bytes]:
    parts = urlsplit(url)
    host = parts.netloc
    path = parts.path or "/"
    out = []
    for body in bodies:
        data = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n"
        )
        out.append(head.encode() + data)
    return out


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        return status, await reader.readexactly(length)
    if not chunked:
        raise RuntimeError("response with neither Content-Length nor chunked encoding")
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.done = 0
        self.errors = 0
        self.error_samples: list[str] = []


async def client(
    url: str,
    requests: list[bytes],
    start: int,
    step: int,
    window: tuple[float, float],
    tally: Tally,
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    begin, end = window
    i = start
    n = len(requests)
    clock = time.perf_counter
    try:
        while True:
            t0 = clock()
            if t0 >= end:
                return
            writer.write(requests[i % n])
            i += step
            status, body = await read_response(reader)
            t1 = clock()
            if status != 200:
                tally.errors += 1
                if len(tally.error_samples) < 3:
                    tally.error_samples.append(f"{status}: {body[:300]!r}")
            if t0 >= begin and t1 <= end:
                tally.latencies.append(t1 - t0)
                tally.done += 1
    finally:
        writer.close()


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


async def run(args: argparse.Namespace) -> dict[str, object]:
    with open(args.bodies) as f:
        bodies = json.load(f)
    requests = build_requests(args.url, bodies)
    tally = Tally()
    now = time.perf_counter()
    begin = now + args.warmup
    end = begin + args.duration
    cpu0 = wall0 = None

    async def mark_start() -> None:
        nonlocal cpu0, wall0
        await asyncio.sleep(max(0.0, begin - time.perf_counter()))
        cpu0, wall0 = time.process_time(), time.perf_counter()

    marker = asyncio.ensure_future(mark_start())
    await asyncio.gather(
        *(
            client(args.url, requests, i, args.concurrency, (begin, end), tally)
            for i in range(args.concurrency)
        )
    )
    await marker
    assert cpu0 is not None and wall0 is not None
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    lat = sorted(tally.latencies)
    ms = 1e3
    return {
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "requests": tally.done,
        "preds_per_s": tally.done * args.rows_per_request / args.duration,
        "requests_per_s": tally.done / args.duration,
        "p50_ms": percentile(lat, 50) * ms,
        "p90_ms": percentile(lat, 90) * ms,
        "p99_ms": percentile(lat, 99) * ms,
        "max_ms": (lat[-1] if lat else float("nan")) * ms,
        "mean_ms": (statistics.fmean(lat) if lat else float("nan")) * ms,
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "loadgen_cpu": round(cpu, 3),
        "loadgen_affinity": sorted(os.sched_getaffinity(0)),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--bodies", required=True, help="JSON file: a list of request bodies")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--rows-per-request", type=int, default=1)
    args = p.parse_args()
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
