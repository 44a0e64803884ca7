"""Cases/s of a prompt evaluation on the bundled local model vs raw llama-cpp-python, same prompts.

The seed example's few-shot prompt (``examples/sentiment/prompt.py``:
``register_prompt()`` makes ``prompt:sentiment``, eight solved reviews and the
open one, temperature 0, ``max_tokens`` 3, ``stop ["\\n"]``) on the 240 eval
reviews (``--cases`` fewer), with the bundled Gemma 3 270M:

- **shipyard**: ``sy.evals.evaluate("prompt:sentiment@1", "dataset:...",
  ["accuracy", "f1"], model="local/gemma-3-270m", parallel=1, progress=False)``,
  end to end: one ``sy.llm.complete`` per case through the request path (the
  prompt rendered by the sandboxed Jinja, limits, routing, a trace per call,
  the response cache bypassed), the answer normalised to a label, scored, the
  metrics logged in a run and every case stored as artifacts;
- **llama-cpp**: the upper bound, a plain loop in the same process:
  ``jinja2.Template(prompt.template()).render(text=...)`` and
  ``llm.create_completion(prompt, max_tokens=3, temperature=0, stop=["\\n"])``
  on its own ``llama_cpp.Llama`` loaded from the same GGUF with the settings
  the local provider loaded its model with (read back from the provider after
  its first call: file, ``n_ctx``, ``n_threads``, ``chat_format``; quiet).
  Both sides share the process, so the OpenMP environment is the same too;
  the answer is read with the example's ``parse_label``;
- **llama-cpp-all-cores**: the same with a thread per CPU, for scale (as in
  ``gateway/local_tokens.py``: faster on an idle 2-core machine, far slower
  when another process keeps a core busy).

Before the clock: the model is assembled into the temporary home on the
first call (or ``$SHIPYARD_LOCAL_MODEL_PATH`` used), the prompt and dataset registered, each side's model loaded and
warmed with one call. Then ``--rounds`` rounds, each side running all the
cases once per round, who goes first alternating, so both see the same
background load (the order rotates every round); cases/s = cases / median seconds of a pass. Each llama.cpp
instance keeps the KV cache of its previous prompt, so both sides evaluate
the shared eight-shot prefix once and then only each review's tokens.
Checks: the same prompt tokens per case on both sides (the same rendered
text) and the same raw answers; accuracy from both.

    python benchmarks/evals/eval_local_llm.py [--cases 240] [--rounds 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import _common as c  # noqa: E402
import _sentiment as S  # noqa: E402

MODEL = "local/gemma-3-270m"
SCORERS = ["accuracy", "f1"]
TOOLS = ("shipyard", "llama-cpp", "llama-cpp-all-cores")


def load_example(name: str) -> Any:
    if str(S.EXAMPLE) not in sys.path:
        sys.path.insert(0, str(S.EXAMPLE))
    spec = importlib.util.spec_from_file_location(f"sentiment_{name}", S.EXAMPLE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def provider_settings() -> dict[str, Any]:
    """The settings shipyard's local provider loaded its model with (after its first call).

    Read from the provider's table of loaded models, keyed by (file, n_ctx,
    n_threads, chat_format), so the raw side follows whatever the provider does.
    """
    from shipyard.llm.providers import local_model

    (key,) = local_model._models
    path, n_ctx, n_threads, chat_format = key
    return {
        "model_path": str(path),
        "n_ctx": n_ctx,
        "n_threads": n_threads,
        "chat_format": chat_format,
    }


def scores(expected: list[str], predicted: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(expected, predicted)),
        "f1": float(
            f1_score(expected, predicted, labels=["negative", "positive"], average="macro")
        ),
    }


class Raw:
    """Raw llama-cpp-python: its own Llama on the same file, the provider's settings."""

    def __init__(self, settings: dict[str, Any], template: str, parse: Any) -> None:
        import jinja2
        import llama_cpp
        from llama_cpp._utils import suppress_stdout_stderr

        t0 = time.perf_counter()
        with suppress_stdout_stderr():
            self.llm = llama_cpp.Llama(**settings, verbose=False)
        self.load_s = time.perf_counter() - t0
        self.version = llama_cpp.__version__
        self.template = jinja2.Template(template)
        self.parse = parse

    def one(self, text: str) -> dict[str, Any]:
        prompt = self.template.render(text=text)
        out: Any = self.llm.create_completion(prompt, max_tokens=3, temperature=0, stop=["\n"])
        raw = out["choices"][0]["text"]
        return {
            "raw": raw,
            "label": self.parse(raw),
            "prompt_tokens": out["usage"]["prompt_tokens"],
            "completion_tokens": out["usage"]["completion_tokens"],
        }

    def run(self, texts: list[str]) -> tuple[float, list[dict[str, Any]]]:
        t0 = time.perf_counter()
        answers = [self.one(text) for text in texts]
        return time.perf_counter() - t0, answers

    def close(self) -> None:
        self.llm.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tool", choices=("side-by-side",), default="side-by-side", help="always both")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    p.add_argument("--cases", type=int, default=240, help="the first N eval cases (default all)")
    p.add_argument("--rounds", type=int, default=3, help="timed passes over the cases per side")
    args = p.parse_args()
    loadavg_start = list(os.getloadavg())

    with c.temp_store("eval_local_llm", args.keep) as base:
        c.use_shipyard_home(base / "home")
        import shipyard as sy

        prompt_module = load_example("prompt")
        _, cases = S.train_and_eval()
        cases = cases.head(args.cases).reset_index(drop=True)
        texts, expected = list(cases["text"]), list(cases["expected"])
        info: dict[str, Any] = {}
        prompt_ref = prompt_module.register_prompt().ref
        data_ref = sy.evals.create_dataset("sentiment-eval", cases).ref
        t0 = time.perf_counter()
        sy.llm.complete(
            model=MODEL, template=prompt_ref, variables={"text": texts[0]}, cache=False
        )  # loads the model: untimed
        info["shipyard_first_call_s"] = round(time.perf_counter() - t0, 3)
        settings = provider_settings()
        info["llama_settings"] = {**settings, "model_path": Path(settings["model_path"]).name}
        info["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY") or "unset"
        threads = {"llama-cpp": settings["n_threads"], "llama-cpp-all-cores": os.cpu_count() or 1}
        raws = {
            tool: Raw(
                {**settings, "n_threads": n},
                prompt_module.template(),
                prompt_module.parse_label,
            )
            for tool, n in threads.items()
        }
        for raw in raws.values():
            raw.one(texts[0])  # warm-up, untimed
        info["raw_load_s"] = round(raws["llama-cpp"].load_s, 3)

        seconds: dict[str, list[float]] = {tool: [] for tool in TOOLS}
        results: dict[str, Any] = {}
        try:
            for i in range(args.rounds):
                order = TOOLS[i % len(TOOLS) :] + TOOLS[: i % len(TOOLS)]
                for tool in order:
                    if tool == "shipyard":
                        t0 = time.perf_counter()
                        result = sy.evals.evaluate(
                            prompt_ref,
                            data_ref,
                            SCORERS,
                            model=MODEL,
                            parallel=1,
                            progress=False,
                        )
                        seconds[tool].append(time.perf_counter() - t0)
                        results[tool] = result
                    else:
                        took, answers = raws[tool].run(texts)
                        seconds[tool].append(took)
                        results[tool] = answers
                    print(
                        f"round {i + 1} {tool}: {len(texts) / seconds[tool][-1]:.2f} cases/s "
                        f"({seconds[tool][-1]:.1f} s)",
                        file=sys.stderr,
                    )
        finally:
            for raw in raws.values():
                raw.close()

    evaluation = results["shipyard"]
    sy_cases = list(evaluation.cases)
    errors = [x.error for x in sy_cases if x.error]
    if errors:
        raise SystemExit(f"shipyard: {len(errors)} cases failed, e.g. {errors[0]}")
    accuracy = {"shipyard": {k: evaluation.metrics[k] for k in ("accuracy", "f1")}}
    same_prompt, same_answer = {}, {}
    for tool in TOOLS[1:]:
        answers = results[tool]
        pairs = list(zip(sy_cases, answers, strict=True))
        same_prompt[tool] = sum(x.prompt_tokens == a["prompt_tokens"] for x, a in pairs)
        same_answer[tool] = sum(x.metadata.get("raw_output") == a["raw"] for x, a in pairs)
        if same_prompt[tool] != len(texts):
            raise SystemExit(f"{tool}: prompts of another length than shipyard's on some cases")
        accuracy[tool] = scores(expected, [a["label"] for a in answers])
    answers = results["llama-cpp"]
    conditions = {
        "model": MODEL,
        "prompt": "prompt:sentiment (examples/sentiment/prompt.py), 8-shot completion",
        "cases": len(texts),
        "rounds": args.rounds,
        "alternated": "pass by pass, the order rotated every round",
        "max_tokens": 3,
        "temperature": 0,
        "stop": ["\n"],
        "cpus": os.cpu_count(),
        "same_prompt_tokens_as_shipyard": same_prompt,
        "same_raw_answers_as_shipyard": same_answer,
        "prompt_tokens_median": statistics.median(a["prompt_tokens"] for a in answers),
        "completion_tokens_total": sum(a["completion_tokens"] for a in answers),
        "loadavg_start": loadavg_start,
        "loadavg_end": list(os.getloadavg()),
        **info,
    }
    for tool in TOOLS:
        median_s = statistics.median(seconds[tool])
        record = {
            "bench": "eval_local_llm",
            "tool": tool,
            "version": c.tool_version("shipyard") if tool == "shipyard" else raws[tool].version,
            "metric": "cases_per_s",
            "value": round(len(texts) / median_s, 3),
            "unit": "cases/s",
            "python": sys.version.split()[0],
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "cases_per_s": round(len(texts) / median_s, 3),
            "ms_per_case": round(median_s / len(texts) * 1e3, 2),
            "seconds_each": [round(s, 3) for s in seconds[tool]],
            "accuracy": accuracy[tool]["accuracy"],
            "f1": accuracy[tool]["f1"],
            "n_threads": settings["n_threads"] if tool == "shipyard" else threads[tool],
            "conditions": conditions,
        }
        if tool == "shipyard":
            record["run_id"] = evaluation.run_id
            # time inside the target calls (render, request path, llama.cpp), per case
            record["case_latency_ms_p50"] = round(
                statistics.median(x.latency_ms for x in sy_cases), 2
            )
            record["case_latency_ms_mean"] = round(
                statistics.fmean(x.latency_ms for x in sy_cases), 2
            )
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
