"""Local model tokens/s: through ``shipyard gateway`` vs raw llama-cpp-python, same prompt.

The bundled Gemma 3 270M (a base model, so the prompt is a story to continue)
generates ``--max-tokens`` tokens at temperature 0 (greedy: both sides must
produce the same number of tokens, which is checked):

- **shipyard**: ``shipyard gateway`` with no aliases (the default model is
  ``local/gemma-3-270m``), default stages, tracing on, no cache;
  ``POST /v1/completions`` from this driver over keep-alive HTTP, whole and
  streamed (SSE, ``stream_options.include_usage``);
- **llama-cpp**: ``raw_llama.py``, ``llama_cpp.Llama(...).create_completion``
  in its own process with the same settings as shipyard's local provider
  (llama-cpp-python's defaults: half the CPUs as threads), whole and
  streamed, on the same GGUF file (the one the gateway assembled). The
  difference between this and the gateway is what the gateway's own code costs;
- **llama-cpp-all-cores**: the same with a thread per CPU, for scale: faster
  on an idle 2-core machine, about half as fast when another process keeps
  a core busy (see ``local_model.default_threads``).

tokens/s = completion tokens / wall time of the call (prompt processing
included on both sides; llama.cpp reuses the evaluated prompt prefix of the
previous call on both sides alike); for the gateway the wall time is the
client's, HTTP included (a new connection per call). Each side makes one
untimed call; then the three alternate call by call, ``--calls`` times (whole,
then streamed; who goes first rotates every time), so all see the same
background load (on a 2-core machine any other busy process slows a call
down, the all-cores side by up to 3×). All
processes may use all CPUs; only one works at a time. Figures are medians.

    python benchmarks/gateway/local_tokens.py [--max-tokens 128] [--calls 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "serving"))

import _common as c  # noqa: E402
import _servers as s  # noqa: E402

MODEL = "local/gemma-3-270m"
TOOLS = ("shipyard", "llama-cpp", "llama-cpp-all-cores")
DEFAULT_THREADS = max(1, (os.cpu_count() or 2) // 2)  # llama-cpp-python's and the provider's
RAW_THREADS = {"llama-cpp": DEFAULT_THREADS, "llama-cpp-all-cores": os.cpu_count() or 1}
THREADS = {"shipyard": DEFAULT_THREADS, **RAW_THREADS}
PROMPT = (
    "The old lighthouse keeper climbed the spiral stairs for the last time. For forty years "
    "he had kept the lamp burning through storms and calm nights alike, and tonight the "
    "harbour town was gathering below to say goodbye. He paused at the window and looked "
    "out over the dark water, remembering"
)


class Client:
    """Calls to the gateway, each on a new connection (calls are seconds apart)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def whole(self, body: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        self.conn.request(
            "POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"}
        )
        resp = self.conn.getresponse()
        raw = resp.read()
        seconds = time.perf_counter() - t0
        self.conn.close()
        if resp.status != 200:
            raise SystemExit(f"gateway answered {resp.status}: {raw[:800]!r}")
        answer = json.loads(raw)
        return {
            "tokens": answer["usage"]["completion_tokens"],
            "seconds": seconds,
            "text": answer["choices"][0]["text"],
        }

    def streamed(self, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        t0 = time.perf_counter()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        self.conn.request(
            "POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"}
        )
        resp = self.conn.getresponse()
        if resp.status != 200:
            raise SystemExit(f"gateway answered {resp.status}: {resp.read()[:800]!r}")
        first = None
        pieces = 0
        usage = None
        text = []
        while True:
            line = resp.readline()
            if not line:
                break
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            event = json.loads(data)
            if event.get("usage"):
                usage = event["usage"]
            for choice in event.get("choices") or []:
                if choice.get("text"):
                    if first is None:
                        first = time.perf_counter() - t0
                    pieces += 1
                    text.append(choice["text"])
        resp.read()
        seconds = time.perf_counter() - t0
        self.conn.close()
        return {
            "pieces": pieces,
            "tokens": (usage or {}).get("completion_tokens"),
            "seconds": seconds,
            "first_s": first,
            "text": "".join(text),
        }


def gateway(base: Path) -> s.Server:
    import yaml

    port = s.free_port()
    config = base / "gateway.yaml"
    config.write_text(yaml.safe_dump({"tracing": {"enabled": True}}))
    env = dict(os.environ)
    for key in ("SHIPYARD_DB", "SHIPYARD_BLOBS", "SHIPYARD_URI", "SHIPYARD_TOKEN"):
        env.pop(key, None)
    env["SHIPYARD_HOME"] = str(base / "home")
    sy = Path(sys.executable).parent / "shipyard"
    return s.Server(
        "shipyard",
        [str(sy), "gateway", "--config", str(config), "--port", str(port)],
        env=env,
        cwd=base,
        health=f"http://127.0.0.1:{port}/health",
        log=base / "shipyard.log",
        cpus=None,
    )


class Raw:
    """``raw_llama.py`` in its own process, the model loaded once, one call per request."""

    def __init__(self, model: Path, prompt_file: Path, max_tokens: int, n_threads: int) -> None:
        cmd = [
            sys.executable,
            str(HERE / "raw_llama.py"),
            "--model",
            str(model),
            "--prompt-file",
            str(prompt_file),
            "--max-tokens",
            str(max_tokens),
            "--n-threads",
            str(n_threads),
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"raw_llama.py exited with {self.proc.wait()}")
        return dict(json.loads(line))

    def call(self, op: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def rate(calls: list[dict[str, Any]], key: str = "tokens") -> list[float]:
    return [x[key] / x["seconds"] for x in calls]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tool", choices=("side-by-side",), default="side-by-side", help="always both")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--calls", type=int, default=10, help="timed calls per side and kind")
    args = p.parse_args()
    body = {"model": MODEL, "prompt": PROMPT, "max_tokens": args.max_tokens, "temperature": 0}

    with c.temp_store("local_tokens", args.keep) as base:
        prompt_file = base / "prompt.txt"
        prompt_file.write_text(PROMPT)
        server = gateway(base)
        calls: dict[str, dict[str, list[dict[str, Any]]]] = {
            tool: {"whole": [], "streamed": []} for tool in TOOLS
        }
        info: dict[str, Any] = {}
        try:
            server.start()
            port = int(server.health.split(":")[2].split("/")[0])
            client = Client("127.0.0.1", port)
            t0 = time.perf_counter()
            first = client.whole(body)  # assembles and loads the model: untimed
            info["first_call_s"] = round(time.perf_counter() - t0, 3)
            client.streamed(body)
            models = sorted((base / "home").rglob("*.gguf"))
            if not models:
                raise SystemExit("the gateway answered but no .gguf is in its home")
            raws = {
                tool: Raw(models[0], prompt_file, args.max_tokens, n_threads)
                for tool, n_threads in RAW_THREADS.items()
            }
            info["llama_cpp_python"] = raws["llama-cpp"].info["llama_cpp_python"]
            info["raw_load_s"] = round(raws["llama-cpp"].info["load_s"], 3)
            try:
                for i in range(args.calls):
                    order = TOOLS[i % len(TOOLS) :] + TOOLS[: i % len(TOOLS)]
                    for kind in ("whole", "streamed"):
                        for tool in order:
                            if tool in raws:
                                op = "whole" if kind == "whole" else "stream"
                                calls[tool][kind].append(raws[tool].call(op))
                            elif kind == "whole":
                                calls[tool][kind].append(client.whole(body))
                            else:
                                calls[tool][kind].append(client.streamed(body))
                    print(
                        f"call {i + 1}: whole "
                        + ", ".join(f"{t} {rate(calls[t]['whole'])[-1]:.1f}" for t in TOOLS)
                        + " tokens/s",
                        file=sys.stderr,
                    )
            finally:
                for raw in raws.values():
                    raw.close()
            info["rss_mb_end"] = round(server.rss_mb(), 1)
        finally:
            server.stop()

    every = [x for tool in TOOLS for x in calls[tool]["whole"]]
    tokens = {x["tokens"] for x in every}
    same_text = {x["text"] for x in every}
    if len(tokens) != 1:
        raise SystemExit(f"the sides generated different token counts: {sorted(tokens)}")
    for tool in TOOLS:
        for x in calls[tool]["streamed"]:
            x["tokens"] = x.get("tokens") or x["pieces"]
    conditions = {
        "model": MODEL,
        "prompt_chars": len(PROMPT),
        "max_tokens": args.max_tokens,
        "completion_tokens": tokens.pop(),
        "same_text_both_sides": len(same_text) == 1,
        "temperature": 0,
        "calls": args.calls,
        "alternated": "call by call, first side swapped every call",
        "cpus": os.cpu_count(),
        "first_gateway_call_text": first["text"][:200],
    }
    for tool in TOOLS:
        mine = calls[tool]
        whole, streamed = rate(mine["whole"]), rate(mine["streamed"])
        firsts = [x["first_s"] for x in mine["streamed"] if x["first_s"] is not None]
        record = {
            "bench": "local_tokens",
            "tool": tool,
            "version": c.tool_version("shipyard")
            if tool == "shipyard"
            else info.get("llama_cpp_python"),
            "metric": "tokens_per_s",
            "value": round(statistics.median(whole), 3),
            "unit": "tokens/s",
            "python": sys.version.split()[0],
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "tokens_per_s": round(statistics.median(whole), 3),
            "tokens_per_s_best": round(max(whole), 3),
            "stream_tokens_per_s": round(statistics.median(streamed), 3),
            "stream_first_token_ms": round(statistics.median(firsts) * 1e3, 2) if firsts else None,
            "call_s": round(statistics.median(x["seconds"] for x in mine["whole"]), 4),
            "n_threads": THREADS[tool],
            "conditions": conditions,
            **(info if tool == "shipyard" else {}),
            "calls": {
                kind: [{k: v for k, v in x.items() if k != "text"} for x in mine[kind]]
                for kind in ("whole", "streamed")
            },
        }
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
