"""Local model tokens/s: through ``shipyard gateway`` vs raw llama-cpp-python, same prompt.

The bundled Gemma 3 270M (a base model, so the prompt is a story to continue)
generates ``--max-tokens`` tokens at temperature 0 (greedy: both sides must
produce the same number of tokens, which is checked):

- **shipyard**: ``shipyard gateway`` with no aliases (the default model is
  ``local/gemma-3-270m``), default stages, tracing on, no cache;
  ``POST /v1/completions`` from this driver over keep-alive HTTP, whole and
  streamed (SSE, ``stream_options.include_usage``);
- **llama-cpp**: ``raw_llama.py``, ``llama_cpp.Llama(...).create_completion``
  in its own process with the same settings as shipyard's local provider,
  whole and streamed, on the same GGUF file (the one the gateway assembled).

tokens/s = completion tokens / wall time of the call (prompt processing
included on both sides; llama.cpp reuses the evaluated prompt prefix of the
previous call on both sides alike). Each side makes one untimed call, then
``--repeat`` calls whole and ``--repeat`` streamed per round; ``--rounds``
rounds with the order swapped; figures are medians over all calls. Both
processes may use all CPUs (llama.cpp's threads = CPUs, as in the provider);
only one of them works at a time.

    python benchmarks/gateway/local_tokens.py [--max-tokens 128] [--repeat 5] [--rounds 2]
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
PROMPT = (
    "The old lighthouse keeper climbed the spiral stairs for the last time. For forty years "
    "he had kept the lamp burning through storms and calm nights alike, and tonight the "
    "harbour town was gathering below to say goodbye. He paused at the window and looked "
    "out over the dark water, remembering"
)


class Client:
    """One keep-alive HTTP connection to the gateway."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=300)

    def whole(self, body: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        self.conn.request(
            "POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"}
        )
        resp = self.conn.getresponse()
        raw = resp.read()
        seconds = time.perf_counter() - t0
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


def raw(model: Path, prompt_file: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(HERE / "raw_llama.py"),
        "--model",
        str(model),
        "--prompt-file",
        str(prompt_file),
        "--max-tokens",
        str(args.max_tokens),
        "--repeat",
        str(args.repeat),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"raw_llama.py failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def rate(calls: list[dict[str, Any]], key: str = "tokens") -> list[float]:
    return [x[key] / x["seconds"] for x in calls]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tool", choices=("side-by-side",), default="side-by-side", help="always both")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--repeat", type=int, default=5, help="timed calls per kind per round")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    body = {"model": MODEL, "prompt": PROMPT, "max_tokens": args.max_tokens, "temperature": 0}

    with c.temp_store("local_tokens", args.keep) as base:
        prompt_file = base / "prompt.txt"
        prompt_file.write_text(PROMPT)
        server = gateway(base)
        sy: dict[str, list[dict[str, Any]]] = {"whole": [], "streamed": []}
        ll: dict[str, list[dict[str, Any]]] = {"whole": [], "streamed": []}
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
            for r in range(args.rounds):
                for side in ("raw", "gateway") if r % 2 == 0 else ("gateway", "raw"):
                    if side == "raw":
                        got = raw(models[0], prompt_file, args)
                        info["llama_cpp_python"] = got["llama_cpp_python"]
                        info["raw_load_s"] = round(got["load_s"], 3)
                        ll["whole"] += got["whole"]
                        ll["streamed"] += got["streamed"]
                    else:  # a new connection: the idle one was closed after keep-alive
                        client = Client("127.0.0.1", port)
                        sy["whole"] += [client.whole(body) for _ in range(args.repeat)]
                        sy["streamed"] += [client.streamed(body) for _ in range(args.repeat)]
                    print(
                        f"round {r + 1} {side}: whole "
                        f"{statistics.median(rate((sy if side == 'gateway' else ll)['whole'])):.1f}"
                        " tokens/s",
                        file=sys.stderr,
                    )
            info["rss_mb_end"] = round(server.rss_mb(), 1)
        finally:
            server.stop()

    tokens = {x["tokens"] for x in sy["whole"] + ll["whole"]}
    same_text = {x["text"] for x in sy["whole"] + ll["whole"]}
    if len(tokens) != 1:
        raise SystemExit(f"the two sides generated different token counts: {sorted(tokens)}")
    for x in ll["streamed"]:
        x["tokens"] = x["pieces"]
    for x in sy["streamed"]:
        x["tokens"] = x["tokens"] or x["pieces"]
    conditions = {
        "model": MODEL,
        "prompt_chars": len(PROMPT),
        "max_tokens": args.max_tokens,
        "completion_tokens": tokens.pop(),
        "same_text_both_sides": len(same_text) == 1,
        "temperature": 0,
        "repeat": args.repeat,
        "rounds": args.rounds,
        "n_threads": os.cpu_count(),
        "first_gateway_call_text": first["text"][:200],
    }
    for tool, calls in (("shipyard", sy), ("llama-cpp", ll)):
        whole, streamed = rate(calls["whole"]), rate(calls["streamed"])
        firsts = [x["first_s"] for x in calls["streamed"] if x["first_s"] is not None]
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
            "stream_tokens_per_s": round(statistics.median(streamed), 3),
            "stream_first_token_ms": round(statistics.median(firsts) * 1e3, 2) if firsts else None,
            "call_s": round(statistics.median(x["seconds"] for x in calls["whole"]), 4),
            "conditions": conditions,
            **(info if tool == "shipyard" else {}),
            "calls": {
                kind: [{k: v for k, v in x.items() if k != "text"} for x in calls[kind]]
                for kind in ("whole", "streamed")
            },
        }
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
