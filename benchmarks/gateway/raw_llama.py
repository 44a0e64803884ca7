"""Raw llama-cpp-python on the bundled Gemma GGUF: the baseline of ``local_tokens.py``.

Loads the model with the same settings as shipyard's local provider
(``n_ctx`` 2048, ``n_threads`` = CPUs, ``chat_format="gemma"``, quiet), makes
one untimed call, then times ``--repeat`` calls of ``create_completion`` with
the given prompt, ``max_tokens`` and ``temperature``, whole and streamed.
Prints one JSON object: per call the completion tokens and wall seconds (and,
streamed, the time to the first piece).

    python raw_llama.py --model PATH.gguf --prompt-file p.txt --max-tokens 128 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--prompt-file", required=True)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--n-ctx", type=int, default=2048)
    args = p.parse_args()
    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr

    prompt = Path(args.prompt_file).read_text()
    t0 = time.perf_counter()
    with suppress_stdout_stderr():
        llm = llama_cpp.Llama(
            model_path=args.model,
            n_ctx=args.n_ctx,
            n_threads=os.cpu_count() or 1,
            verbose=False,
            chat_format="gemma",
        )
    load_s = time.perf_counter() - t0
    params: dict[str, Any] = {"max_tokens": args.max_tokens, "temperature": args.temperature}
    llm.create_completion(prompt, **params)  # warm-up, untimed

    whole = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out: Any = llm.create_completion(prompt, **params)
        seconds = time.perf_counter() - t0
        whole.append(
            {
                "tokens": out["usage"]["completion_tokens"],
                "seconds": seconds,
                "text": out["choices"][0]["text"],
            }
        )
    streamed = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        first = None
        pieces = 0
        text = []
        for chunk in llm.create_completion(prompt, stream=True, **params):
            piece = chunk["choices"][0]["text"]
            if piece:
                if first is None:
                    first = time.perf_counter() - t0
                pieces += 1
                text.append(piece)
        seconds = time.perf_counter() - t0
        streamed.append(
            {"pieces": pieces, "seconds": seconds, "first_s": first, "text": "".join(text)}
        )
    print(
        json.dumps(
            {
                "llama_cpp_python": llama_cpp.__version__,
                "load_s": load_s,
                "n_threads": os.cpu_count(),
                "whole": whole,
                "streamed": streamed,
            }
        )
    )


if __name__ == "__main__":
    main()
