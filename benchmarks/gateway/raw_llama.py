"""Raw llama-cpp-python on the bundled Gemma GGUF: the baseline of ``local_tokens.py``.

Loads the model with the same settings as shipyard's local provider
(``n_ctx`` 2048, ``n_threads`` half the CPUs as llama-cpp-python's own
default, or ``--n-threads``; ``chat_format="gemma"``, quiet), makes
one untimed call, prints ``{"ready": ...}`` and then serves the driver over
stdin/stdout, one JSON line each way, so the driver can alternate raw calls
with calls through the gateway (both then see the same background load):

- ``{"op": "whole"}`` → ``{"tokens", "seconds", "text"}``: one
  ``create_completion`` of the prompt, timed around the call;
- ``{"op": "stream"}`` → ``{"pieces", "seconds", "first_s", "text"}``: the
  same with ``stream=True``, consumed to the end.

    python raw_llama.py --model PATH.gguf --prompt-file p.txt --max-tokens 128
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def whole(llm: Any, prompt: str, params: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    out: Any = llm.create_completion(prompt, **params)
    seconds = time.perf_counter() - t0
    return {
        "tokens": out["usage"]["completion_tokens"],
        "seconds": seconds,
        "text": out["choices"][0]["text"],
    }


def stream(llm: Any, prompt: str, params: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    first = None
    pieces = []
    for chunk in llm.create_completion(prompt, stream=True, **params):
        piece = chunk["choices"][0]["text"]
        if piece:
            if first is None:
                first = time.perf_counter() - t0
            pieces.append(piece)
    seconds = time.perf_counter() - t0
    return {"pieces": len(pieces), "seconds": seconds, "first_s": first, "text": "".join(pieces)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--prompt-file", required=True)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--n-ctx", type=int, default=2048)
    p.add_argument("--n-threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    args = p.parse_args()
    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr

    prompt = Path(args.prompt_file).read_text()
    t0 = time.perf_counter()
    with suppress_stdout_stderr():
        llm = llama_cpp.Llama(
            model_path=args.model,
            n_ctx=args.n_ctx,
            n_threads=args.n_threads,
            verbose=False,
            chat_format="gemma",
        )
    load_s = time.perf_counter() - t0
    params: dict[str, Any] = {"max_tokens": args.max_tokens, "temperature": args.temperature}
    llm.create_completion(prompt, **params)  # warm-up, untimed
    ready = {
        "ready": True,
        "llama_cpp_python": llama_cpp.__version__,
        "load_s": load_s,
        "n_threads": args.n_threads,
    }
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        op = json.loads(line)["op"]
        result = whole(llm, prompt, params) if op == "whole" else stream(llm, prompt, params)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
