"""Reliability: 60 seconds of mixed load through a real ``shipyard gateway`` process.

The gateway runs as the command users run (``shipyard gateway --config F
--port P``, a subprocess) in front of ``FakeOpenAI`` (the OpenAI wire format,
served by uvicorn in this process, with a small fixed latency). Clients in
this process keep ``CLIENTS`` requests in flight for ``DURATION_S`` seconds,
a mix of:

- plain chat completions with a new prompt each time (cache misses: upstream);
- streamed chat completions (SSE through to ``data: [DONE]``);
- repeated prompts from a small set (exact cache hits, streamed and not);
- requests with a virtual key whose budget and rate limits are far above the
  load (auth and both counters run, nothing is refused).

Every answer must be a 200 with the expected shape: zero errors. Memory must
be flat: the gateway's resident set (``VmRSS`` of ``/proc/<pid>/status``)
at the end may exceed the one measured after ``WARMUP_S`` seconds of the same
load by at most ``RSS_MARGIN_MB``. Why that margin: after the warm-up the
gateway still fills memory it is meant to hold, all of it bounded: the exact
cache's in-process LRU of recent answers (``cache.local.MAX_ANSWERS``, 4,096
answers of ~1.5 KB, ~6 MB, full after ~4,000 distinct prompts, about a
minute here), SQLite's page cache per pooled connection (2 MB each) and the
allocator's arenas of anyio's worker threads. A 300 s run of this test gave
+8 MB over the first 70 s, then +1.7 MB over the next 230 s (~26,000
requests). A leak of 1 KB per request would exceed 25 MB within ~25,000
requests. The start and end figures are printed; ``LOAD_TEST_S=300`` runs
the same test longer (a soak).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from shipyard.llm.keys import create_key
from shipyard.llm.testing.openai_server import FakeOpenAI

DURATION_S = float(os.environ.get("LOAD_TEST_S", 60.0))
WARMUP_S = 5.0
CLIENTS = 8
RSS_MARGIN_MB = 25.0
UPSTREAM_KEY = "sk-upstream-load-test"
CACHED_PROMPTS = [f"cached question {i}" for i in range(5)]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(DURATION_S + 180)]


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    cache_hits: int = 0

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 5:
            self.samples.append(what[:500])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the gateway exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the gateway did not answer in 60 s:\n{log.read_text()[-3000:]}")


async def _one(client: httpx.AsyncClient, n: int, worker: int, secret: str, tally: Tally) -> None:
    """Request ``n`` of a worker: the kind cycles so every kind is always in the mix."""
    kind = (
        "plain",
        "plain",
        "plain",
        "stream",
        "cached",
        "keyed",
        "cached-stream",
        "keyed-stream",
    )[n % 8]
    prompt = (
        CACHED_PROMPTS[n % len(CACHED_PROMPTS)]
        if kind.startswith("cached")
        else f"request {n} of worker {worker}: say something"
    )
    body: dict[str, Any] = {
        "model": "fast",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 24,
    }
    headers = {"Authorization": f"Bearer {secret}"} if kind.startswith("keyed") else {}
    stream = kind.endswith("stream")
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    tally.kinds[kind] = tally.kinds.get(kind, 0) + 1
    try:
        if stream:
            async with client.stream(
                "POST", "/v1/chat/completions", json=body, headers=headers
            ) as r:
                lines = [line async for line in r.aiter_lines() if line.startswith("data:")]
                if r.status_code != 200 or not lines or lines[-1] != "data: [DONE]":
                    tally.fail(f"{kind}: {r.status_code} {lines[-3:]}")
                    return
                text = "".join(
                    (c.get("delta") or {}).get("content") or ""
                    for line in lines[:-1]
                    for c in json.loads(line[5:]).get("choices") or []
                )
                cache = r.headers.get("x-shipyard-cache")
        else:
            r = await client.post("/v1/chat/completions", json=body, headers=headers)
            if r.status_code != 200:
                tally.fail(f"{kind}: {r.status_code} {r.text}")
                return
            text = r.json()["choices"][0]["message"]["content"] or ""
            cache = r.headers.get("x-shipyard-cache")
        if not text:
            tally.fail(f"{kind}: empty answer")
            return
        tally.ok += 1
        tally.cache_hits += cache == "exact"
    except httpx.HTTPError as exc:
        tally.fail(f"{kind}: {type(exc).__name__}: {exc}")


async def _load(url: str, secret: str, pid: int, tally: Tally) -> dict[str, Any]:
    """``CLIENTS`` workers for ``DURATION_S``; RSS sampled after the warm-up and at the end."""
    started = time.monotonic()
    end = started + DURATION_S
    samples: list[tuple[float, float]] = []
    rss: dict[str, Any] = {}

    async def worker(i: int, client: httpx.AsyncClient) -> None:
        n = 0
        while time.monotonic() < end:
            await _one(client, n, i, secret, tally)
            n += 1

    async def watch() -> None:
        while time.monotonic() < end:
            await asyncio.sleep(1.0)
            elapsed = time.monotonic() - started
            samples.append((round(elapsed, 1), round(_rss_mb(pid), 1)))
            if "start_mb" not in rss and elapsed >= WARMUP_S:
                rss["start_mb"] = samples[-1][1]
                rss["requests_at_start"] = tally.ok + tally.errors

    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(watch(), *(worker(i, client) for i in range(CLIENTS)))
    rss["end_mb"] = round(_rss_mb(pid), 1)
    rss["max_mb"] = max(mb for _, mb in samples)
    rss["samples"] = samples
    rss["elapsed_s"] = round(time.monotonic() - started, 1)
    return rss


def test_sixty_seconds_of_mixed_load_no_errors_flat_memory(
    serve_app: Any, tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeOpenAI(api_key=UPSTREAM_KEY, latency_s=0.002, max_recorded=50)
    _, secret = create_key(
        "load", name="load-test", budget_usd=1_000_000, tpm=1_000_000_000, rpm=10_000_000
    )
    with serve_app(fake.app) as upstream:
        config = tmp_path / "gateway.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "default_model": "fast",
                    "models": {
                        "fast": {
                            "targets": [
                                {
                                    "provider": "openai",
                                    "model": "gpt-4o-mini",
                                    "base_url": f"{upstream.url}/v1",
                                    "api_key_env": "LOAD_UPSTREAM_KEY",
                                }
                            ]
                        }
                    },
                    "cache": {"exact": True},
                    "tracing": {"enabled": True},
                }
            )
        )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp_path / "gateway.log"
        env = {**os.environ, "SHIPYARD_HOME": str(isolated_home), "LOAD_UPSTREAM_KEY": UPSTREAM_KEY}
        exe = Path(sys.executable).with_name("shipyard")
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(exe), "gateway", "--config", str(config), "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_healthy(url, proc, log)
            tally = Tally()
            rss = asyncio.run(_load(url, secret, proc.pid, tally))
            upstream_calls = fake.calls
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    served = tally.ok + tally.errors
    rate = served / rss["elapsed_s"]
    growth = rss["end_mb"] - rss["start_mb"]
    after_warmup = served - rss["requests_at_start"]
    report = (
        f"gateway load test: {served} requests in {rss['elapsed_s']} s ({rate:.0f}/s, "
        f"{CLIENTS} clients), {tally.errors} errors, {tally.cache_hits} cache hits, "
        f"{upstream_calls} upstream calls; kinds {tally.kinds}; RSS after {WARMUP_S:g} s warm-up "
        f"{rss['start_mb']} MB, at end {rss['end_mb']} MB ({growth:+.1f} MB, "
        f"{growth * 2**20 / max(after_warmup, 1):+.0f} B/request after warm-up), max {rss['max_mb']} MB"
        f"; every 10 s: {[mb for t, mb in rss['samples'] if round(t) % 10 == 0]}"
    )
    with capsys.disabled():
        print(f"\n{report}")
    assert tally.errors == 0, f"{report}\nfirst errors: {tally.samples}"
    assert tally.cache_hits > 0, report
    assert upstream_calls < served, report  # hits never reached the upstream
    assert proc.returncode == 0, log.read_text()[-3000:]
    assert growth <= RSS_MARGIN_MB, f"memory grew under steady load: {report}\n{rss['samples']}"
