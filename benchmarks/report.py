"""Collect the JSON lines of a benchmark session into ``results.json`` and print a table.

    python benchmarks/report.py RESULTS.jsonl [--out benchmarks/results.json]

Standard library only. Ratios are shipyard / peer of the reported values (the
peer is MLflow for the tracking and serving benchmarks, DVC for the registry ones,
LiteLLM's proxy for the gateway ones, raw llama-cpp-python for local tokens/s and
the prompt evaluation, MLflow's ``mlflow.models.evaluate`` for the classifier one);
"shipyard speed-up" turns that into "how many times faster", whichever way
the unit points (points/s, MB/s: higher is better; ms and s: lower is better).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# (bench, metric, label, unit, higher_is_better, target)
# higher_is_better None: a size, not a speed (no speed-up shown).
# target: ("speedup", x) = shipyard at least x times faster; ("max", v) = shipyard value below v.
Row = tuple[str, str, str, str, bool | None, tuple[str, float] | None]
ROWS: list[Row] = [
    (
        "log_metric",
        "value",
        "(a) `log_metric`, one call per point",
        "points/s",
        True,
        ("speedup", 100),
    ),
    ("log_metrics", "value", "(b) `log_metrics`, batches of 100 keys", "points/s", True, None),
    ("search_runs", "value", "(c) search 100k runs, median", "ms", False, ("max", 100)),
    ("search_runs", "populate_s", "(c) populate 100k runs (bulk insert)", "s", False, None),
    ("import_time", "value", "(d) `import`, best of 5", "ms", False, None),
    (
        "import_time",
        "first_use_best_ms",
        "(d) `import` + resolve `start_run`, `search_runs`",
        "ms",
        False,
        None,
    ),
    ("create_runs", "value", "(extra) create small runs via the API", "runs/s", True, None),
]

TABLE = "table 1M rows: "
FOLDER = "folder 10k files: "
REGISTRY_ROWS: list[Row] = [
    (
        "registry_table",
        "register_s",
        TABLE + "register (DVC: write + add + push)",
        "s",
        False,
        None,
    ),
    ("registry_table", "value", TABLE + "register", "MB/s", True, None),
    ("registry_table", "dedupe_s", TABLE + "register the identical table again", "s", False, None),
    (
        "registry_table",
        "load_pandas_s",
        TABLE + "load as pandas (DVC: pull + read)",
        "s",
        False,
        None,
    ),
    ("registry_table", "load_pandas_mb_per_s", TABLE + "load as pandas", "MB/s", True, None),
    (
        "registry_table",
        "load_arrow_s",
        TABLE + "load as Arrow (DVC: pull + read)",
        "s",
        False,
        None,
    ),
    ("registry_table", "load_arrow_mb_per_s", TABLE + "load as Arrow", "MB/s", True, None),
    ("registry_table", "parquet_mb", TABLE + "Parquet file stored", "MB", None, None),
    ("registry_folder", "register_s", FOLDER + "register (DVC: add + push)", "s", False, None),
    ("registry_folder", "value", FOLDER + "register", "files/s", True, None),
    ("registry_folder", "register_mb_per_s", FOLDER + "register", "MB/s", True, None),
    ("registry_folder", "dedupe_s", FOLDER + "register it again, unchanged", "s", False, None),
    (
        "registry_folder",
        "download_s",
        FOLDER + "download to a folder (DVC: pull)",
        "s",
        False,
        None,
    ),
    ("registry_folder", "download_files_per_s", FOLDER + "download", "files/s", True, None),
    ("registry_folder", "download_mb_per_s", FOLDER + "download", "MB/s", True, None),
    ("registry_folder", "one_file_ms", FOLDER + "read one file (DVC: pull it)", "ms", False, None),
]

REST = "REST, single-row requests, "
BATCH = "batch 1M rows: "
SERVING_ROWS: list[Row] = [
    ("serving_rest", "c1_p50_ms", REST + "1 client: p50 latency", "ms", False, None),
    ("serving_rest", "c1_p99_ms", REST + "1 client: p99 latency", "ms", False, ("max", 20)),
    ("serving_rest", "c1_preds_per_s", REST + "1 client", "preds/s", True, None),
    ("serving_rest", "c16_preds_per_s", REST + "16 clients", "preds/s", True, ("speedup", 2)),
    ("serving_rest", "c16_p50_ms", REST + "16 clients: p50 latency", "ms", False, None),
    ("serving_rest", "c16_p99_ms", REST + "16 clients: p99 latency", "ms", False, None),
    ("serving_rest", "c32_preds_per_s", REST + "32 clients", "preds/s", True, ("speedup", 2)),
    ("serving_rest", "c32_p99_ms", REST + "32 clients: p99 latency", "ms", False, None),
    (
        "serving_batch",
        "local_rows_per_s",
        BATCH + "local executor (MLflow: pyfunc on the whole frame)",
        "rows/s",
        True,
        None,
    ),
    ("serving_batch", "ray_rows_per_s", BATCH + "Ray executor, warm", "rows/s", True, None),
    ("serving_batch", "ray_start_s", "batch: start a local Ray instance", "s", False, None),
    (
        "serving_batch",
        "ray_first_small_job_s",
        "batch: first Ray job, 10k rows (workers start, load the model)",
        "s",
        False,
        None,
    ),
    ("serving_batch", "cli_local_s", BATCH + "`shipyard predict`, local, wall", "s", False, None),
    (
        "serving_batch",
        "cli_ray_s",
        BATCH + "`shipyard predict --executor ray`, wall",
        "s",
        False,
        None,
    ),
]

GW = "chat completion via the gateway, "
GATEWAY_ROWS: list[Row] = [
    (
        "gateway_overhead",
        "c1_p50_overhead_ms",
        GW + "1 connection: added latency p50",
        "ms",
        False,
        ("max", 1),
    ),
    (
        "gateway_overhead",
        "c1_p99_overhead_ms",
        GW + "1 connection: added latency p99",
        "ms",
        False,
        None,
    ),
    ("gateway_overhead", "c1_rps", GW + "1 connection", "requests/s", True, None),
    ("gateway_overhead", "c8_rps", GW + "8 connections", "requests/s", True, ("speedup", 20)),
    ("gateway_overhead", "c8_p50_ms", GW + "8 connections: p50 latency", "ms", False, None),
    ("gateway_overhead", "c32_rps", GW + "32 connections", "requests/s", True, ("speedup", 20)),
    ("gateway_overhead", "c32_p99_ms", GW + "32 connections: p99 latency", "ms", False, None),
    ("cache_hit", "c1_p50_ms", "exact cache hit, 1 connection: p50 latency", "ms", False, None),
    ("cache_hit", "c1_p99_ms", "exact cache hit, 1 connection: p99 latency", "ms", False, None),
    ("cache_hit", "c8_rps", "exact cache hits, 8 connections", "requests/s", True, None),
]
LOCAL = "local Gemma 3 270M, 128 tokens at temperature 0, "
LOCAL_ROWS: list[Row] = [
    ("local_tokens", "tokens_per_s", LOCAL + "whole answer", "tokens/s", True, ("speedup", 0.95)),
    ("local_tokens", "stream_tokens_per_s", LOCAL + "streamed", "tokens/s", True, None),
    ("local_tokens", "stream_first_token_ms", LOCAL + "streamed: first token", "ms", False, None),
]

CLASSIC = "evaluate the sentiment classifier (accuracy, F1) as a tracked run, "
EVAL_ROWS: list[Row] = [
    ("eval_classic", "eval_cases_per_s", CLASSIC + "240 cases", "cases/s", True, None),
    (
        "eval_classic",
        "large_cases_per_s",
        CLASSIC + "10,080 cases (the 240 × 42)",
        "cases/s",
        True,
        None,
    ),
    ("eval_classic", "first_eval_s", CLASSIC + "first in the process, 240 cases", "s", False, None),
]
PROMPT_EVAL = "evaluate prompt:sentiment on local Gemma 3 270M, 240 cases"
EVAL_LLM_ROWS: list[Row] = [
    ("eval_local_llm", "cases_per_s", PROMPT_EVAL, "cases/s", True, None),
    ("eval_local_llm", "accuracy", PROMPT_EVAL + ": accuracy", "", None, None),
]

# (section, peer tool, peer name, rows)
SECTIONS: list[tuple[str, str, str, list[Row]]] = [
    ("tracking", "mlflow", "MLflow", ROWS),
    ("registry", "dvc", "DVC", REGISTRY_ROWS),
    ("serving", "mlflow", "MLflow", SERVING_ROWS),
    ("gateway", "litellm", "LiteLLM", GATEWAY_ROWS),
    ("gateway-local", "llama-cpp", "raw llama-cpp-python", LOCAL_ROWS),
    (
        "gateway-local-all-cores",
        "llama-cpp-all-cores",
        "raw llama-cpp-python, a thread per CPU",
        [(*row[:5], None) for row in LOCAL_ROWS],
    ),
    ("evals", "mlflow", "MLflow", EVAL_ROWS),
    ("evals-noshap", "mlflow-noshap", "MLflow, log_model_explainability off", EVAL_ROWS),
    ("evals-llm", "llama-cpp", "raw llama-cpp-python", EVAL_LLM_ROWS),
    (
        "evals-llm-all-cores",
        "llama-cpp-all-cores",
        "raw llama-cpp-python, a thread per CPU",
        EVAL_LLM_ROWS,
    ),
]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "loadavg_end": list(os.getloadavg()),
        "loadavg_start": json.loads(os.environ.get("BENCH_LOADAVG_START", "null")),
    }


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=HERE, capture_output=True, text=True, check=False
            )
        except OSError:
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no", "--", "../src")
    return {"commit": git("rev-parse", "HEAD"), "src_dirty": bool(status)}


def fmt(v: float | None) -> str:
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:,.1f}"
    if v >= 1:
        return f"{v:,.2f}"
    return f"{v:.3g}"


def table(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    by = {(r["bench"], r["tool"]): r for r in records}
    rows: list[dict[str, Any]] = []
    parts = []
    for section, peer, peer_name, spec in SECTIONS:
        mine = []
        for bench, metric, label, unit, higher, target in spec:
            sy, other = by.get((bench, "shipyard")), by.get((bench, peer))
            if sy is None and other is None:
                continue
            mine.append(_row(label, unit, higher, target, sy, other, metric, peer))
            if bench == "log_metric" and (bench, "mlflow-async") in by:
                mine.append(
                    _row(
                        "(a) same, MLflow with async logging on",
                        unit,
                        higher,
                        None,
                        sy,
                        by[(bench, "mlflow-async")],
                        metric,
                        peer,
                    )
                )
        if not mine:
            continue
        for r in mine:
            r["section"] = section
        rows.extend(mine)
        targets = any(row[5] for row in spec)
        parts.append((section, peer_name, _markdown(mine, peer, peer_name, targets)))
    if len(parts) == 1:
        return rows, parts[0][2]
    return rows, "\n\n".join(
        f"{section}, shipyard vs {name}:\n\n{md}" for section, name, md in parts
    )


def _markdown(rows: list[dict[str, Any]], peer: str, peer_name: str, targets: bool) -> str:
    head = (
        f"| Benchmark | Unit | shipyard | {peer_name} | shipyard/{peer_name} | shipyard speed-up |"
    )
    lines = [
        head + (" Target |" if targets else ""),
        "|---|---|---:|---:|---:|---:|" + ("---|" if targets else ""),
    ]
    for r in rows:
        speedup = "" if r["higher"] is None else "n/a"
        if r["speedup"]:
            speedup = fmt(r["speedup"]) + "×"
        line = (
            f"| {r['benchmark']} | {r['unit']} | {fmt(r['shipyard'])} | {fmt(r[peer])} | "
            f"{fmt(r['ratio'])} | {speedup} |"
        )
        lines.append(line + (f" {r['target'] or ''} |" if targets else ""))
    return "\n".join(lines)


def _row(label, unit, higher, target, sy, other, metric, peer) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    a = sy.get(metric) if sy else None
    b = other.get(metric) if other else None
    ratio = a / b if a and b else None
    speedup = None
    if ratio is not None and higher is not None:
        speedup = ratio if higher else 1 / ratio
    verdict = None
    if target is not None:
        kind, bound = target
        if kind == "speedup":
            ok = speedup is not None and speedup >= bound
            verdict = f"≥{bound:g}×: {'met' if ok else 'MISSED'}"
        else:
            ok = a is not None and a < bound
            verdict = f"<{bound:g} {unit}: {'met' if ok else 'MISSED'}"
    return {
        "benchmark": label,
        "unit": unit,
        "shipyard": a,
        peer: b,
        "ratio": ratio,
        "speedup": speedup,
        "higher": higher,
        "target": verdict,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("jsonl", type=Path)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--failed", default="", help="space-separated bench:tool pairs that failed")
    args = p.parse_args()
    records = [
        json.loads(line)
        for line in args.jsonl.read_text().splitlines()
        if line.strip().startswith("{")
    ]
    rows, md = table(records)
    versions = {r["tool"]: r["version"] for r in records}
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "shipyard": {"version": versions.get("shipyard"), **git_state()},
        **{peer: {"version": versions[peer]} for _, peer, _, _ in SECTIONS if peer in versions},
        "failed": args.failed.split(),
        "table": rows,
        "markdown": md,
        "results": records,
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    named = {peer: name for _, peer, name, _ in SECTIONS if peer in versions}
    peers = ", ".join(f"{name} {versions[peer]}" for peer, name in named.items())
    print(
        f"\nshipyard {versions.get('shipyard')} vs {peers or 'nothing'} on "
        f"{m['nproc']} x {m['cpu']}, {m['ram_gb']} GB RAM, Python {m['python']}, {result['date']}\n"
    )
    print(md)
    if result["failed"]:
        print(f"\nFAILED: {' '.join(result['failed'])} (see benchmarks/.work/logs/)")
    if args.out:
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
