"""REST serving side by side: ``shipyard serve`` vs ``mlflow models serve``, one model, one run.

One driver (this script, in the shipyard venv) does everything, so both
servers are measured in the same session under the same conditions:

1. makes the credit table (``_credit.make_table``, fixed seed) and writes it
   to Parquet; each side fits the same scikit-learn pipeline on those bytes
   (shipyard here, MLflow in its own venv through ``mlflow_model.py``);
2. shipyard: ``sy.models.register(model, "credit", sample_input=...)``, alias
   ``production``, then ``shipyard serve model:credit@production --port P``;
   MLflow: ``mlflow.sklearn.log_model`` (with a signature), then
   ``mlflow models serve -m runs:/ID/model --env-manager local --workers 1``;
   each server with one worker process, defaults otherwise;
3. checks both answer 200 with the same predictions as the fitted model, for
   ``--check-rows`` single-row requests and one request of all those rows;
4. measures with ``loadgen.py`` (a separate process; keep-alive connections,
   closed loop): for each concurrency in ``--concurrency``, a warm-up then
   ``--duration`` seconds; single-row requests in each server's own format
   (shipyard ``{"records": [row]}``, MLflow ``{"dataframe_records": [row]}``),
   cycling over 1,000 different rows. ``--rounds`` rounds, the servers
   alternating which goes first; the figures are the median over rounds.

On a machine with 2+ CPUs each server (and every process it starts) is
pinned to CPU 0 and the load generator to CPU 1 (``--no-pin`` to turn it
off), so the client never takes CPU from the server and both servers get the
same single core. Prints two JSON lines (``tool`` shipyard and mlflow).

    python benchmarks/serving/serving_rest.py [--concurrency 1,16,32] [--duration 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c
import _credit
import _servers as s
from _models import emit, mlflow_env, mlflow_model, mlflow_python, shipyard_model

HERE = Path(__file__).resolve().parent

TOOLS = ("shipyard", "mlflow")


# -- servers -----------------------------------------------------------------------------


def servers(
    base: Path, home: Path, store: Path, runs_uri: str, args: argparse.Namespace
) -> dict[str, s.Server]:
    cpus = {0} if args.pin else None
    port = {tool: s.free_port() for tool in TOOLS}
    sy_bin = Path(sys.executable).parent / "shipyard"
    env = dict(os.environ)
    for key in ("SHIPYARD_DB", "SHIPYARD_BLOBS", "SHIPYARD_URI", "SHIPYARD_TOKEN"):
        env.pop(key, None)
    sy_env = {**env, "SHIPYARD_HOME": str(home)}
    ml_bin = mlflow_python().parent
    ml_env = mlflow_env(store)
    return {
        "shipyard": s.Server(
            "shipyard",
            [
                str(sy_bin),
                "serve",
                "model:credit@production",
                "--port",
                str(port["shipyard"]),
                *args.shipyard_arg,
            ],
            env=sy_env,
            cwd=base,
            health=f"http://127.0.0.1:{port['shipyard']}/health",
            log=base / "shipyard-serve.log",
            cpus=cpus,
        ),
        "mlflow": s.Server(
            "mlflow",
            [
                str(ml_bin / "mlflow"),
                "models",
                "serve",
                "-m",
                runs_uri,
                "--env-manager",
                "local",
                "--port",
                str(port["mlflow"]),
                "--workers",
                "1",
            ],
            env=ml_env,
            cwd=store,
            health=f"http://127.0.0.1:{port['mlflow']}/ping",
            log=base / "mlflow-serve.log",
            cpus=cpus,
        ),
    }


def predict_url(tool: str, server: s.Server) -> str:
    root = server.health.rsplit("/", 1)[0]
    return f"{root}/predict" if tool == "shipyard" else f"{root}/invocations"


def body(tool: str, rows: list[dict[str, float]]) -> dict[str, Any]:
    return {"records": rows} if tool == "shipyard" else {"dataframe_records": rows}


def predictions(answer: Any) -> list[Any]:
    return list(answer["predictions"]) if isinstance(answer, dict) else list(answer)


def check(tool: str, url: str, rows: list[dict[str, float]], want: list[Any]) -> None:
    """Every single-row answer and one all-rows answer are 200 and equal to the model's."""
    got = []
    for row in rows:
        status, answer = s.post_json(url, body(tool, [row]))
        if status != 200:
            raise SystemExit(f"{tool}: POST {url} gave {status}: {str(answer)[:500]}")
        got.extend(predictions(answer))
    status, answer = s.post_json(url, body(tool, rows))
    if status != 200:
        raise SystemExit(
            f"{tool}: POST {url} with {len(rows)} rows gave {status}: {str(answer)[:500]}"
        )
    if got != want or predictions(answer) != want:
        bad = sum(a != b for a, b in zip(got, want, strict=False)) + abs(len(got) - len(want))
        raise SystemExit(f"{tool}: {bad} of {len(want)} predictions differ from the fitted model's")


# -- load --------------------------------------------------------------------------------


def load(
    tool: str,
    server: s.Server,
    bodies: Path,
    conc: int,
    args: argparse.Namespace,
    url: str | None = None,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(HERE / "loadgen.py"),
        "--url",
        url or predict_url(tool, server),
        "--bodies",
        str(bodies),
        "--concurrency",
        str(conc),
        "--warmup",
        str(args.warmup),
        "--duration",
        str(args.duration),
    ]
    batches0 = batch_totals(server) if tool == "shipyard" else None
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=s.pin({1} if args.pin else None),
    )
    server_cpu = (server.cpu_seconds() - cpu0) / (time.perf_counter() - t0)
    if out.returncode != 0:
        raise SystemExit(f"loadgen failed against {tool}:\n{out.stderr[-3000:]}")
    result = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    result["server_cpu"] = round(server_cpu, 3)
    result["server_threads"] = server.threads()
    if batches0 is not None:
        rows, calls = (b - a for a, b in zip(batches0, batch_totals(server), strict=True))
        result["rows_per_predict_call"] = round(rows / calls, 2) if calls else None
    if result["errors"]:
        raise SystemExit(
            f"{tool}: {result['errors']} failed requests at concurrency {conc}: {result['error_samples']}"
        )
    batch = result.get("rows_per_predict_call")
    print(
        f"{tool:9s} c={conc:<3d} {result['preds_per_s']:8.1f} preds/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p99 {result['p99_ms']:6.2f} ms  server cpu {server_cpu:.2f}  loadgen cpu "
        f"{result['loadgen_cpu']:.2f}" + (f"  rows/predict {batch}" if batch else ""),
        file=sys.stderr,
    )
    return result


def batch_totals(server: s.Server) -> tuple[float, float]:
    """``(rows, predict calls)`` so far, from shipyard's ``/metrics`` batch-size histogram."""
    text = s.get_json(server.health.rsplit("/", 1)[0] + "/metrics")
    rows = calls = 0.0
    for line in str(text).splitlines():
        if line.startswith("shipyard_batch_size_rows_sum"):
            rows += float(line.rsplit(" ", 1)[1])
        elif line.startswith("shipyard_batch_size_rows_count"):
            calls += float(line.rsplit(" ", 1)[1])
    return rows, calls


def calibrate(base: Path, bodies: Path, conc: int, args: argparse.Namespace) -> dict[str, Any]:
    """The load generator against ``null_app`` (a server that does nothing) on the servers' CPU."""
    port = s.free_port()
    server = s.Server(
        "null",
        [
            str(Path(sys.executable).parent / "uvicorn"),
            "null_app:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=dict(os.environ),
        cwd=HERE,
        health=f"http://127.0.0.1:{port}/health",
        log=base / "null-server.log",
        cpus={0} if args.pin else None,
    )
    server.start()
    try:
        url = f"http://127.0.0.1:{port}/predict"
        quick = argparse.Namespace(**{**vars(args), "duration": min(args.duration, 5.0)})
        result = load("null", server, bodies, conc, quick, url=url)
    finally:
        server.stop()
    keys = ("concurrency", "preds_per_s", "p50_ms", "p99_ms", "loadgen_cpu", "server_cpu")
    return {k: round(result[k], 3) for k in keys}


def summarize(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = ("preds_per_s", "p50_ms", "p90_ms", "p99_ms", "server_cpu", "loadgen_cpu")
    keys += ("rows_per_predict_call",) if runs[0].get("rows_per_predict_call") else ()
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tool", choices=("side-by-side",), default="side-by-side", help="always both")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    p.add_argument("--concurrency", default="1,16,32", help="comma-separated client counts")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per level")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--train-rows", type=int, default=20_000)
    p.add_argument("--check-rows", type=int, default=200)
    p.add_argument("--tools", default=",".join(TOOLS), help="debugging: only some servers")
    p.add_argument(
        "--no-calibrate",
        dest="calibrate",
        action="store_false",
        help="skip measuring the load generator against a server that does nothing",
    )
    p.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin CPUs")
    p.add_argument(
        "--shipyard-arg", action="append", default=[], help="extra argument for shipyard serve"
    )
    args = p.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    tools = tuple(t for t in TOOLS if t in args.tools.split(","))
    if args.pin and (os.cpu_count() or 1) < 2:
        args.pin = False
    if args.pin:
        os.sched_setaffinity(0, {1})  # this driver mostly waits; keep it off the servers' CPU

    with c.temp_store("serving_rest", args.keep) as base:
        train = base / "train.parquet"
        _credit.make_table(args.train_rows).to_parquet(train)
        home, store = base / "shipyard", base / "mlflow"
        model, sy_info = shipyard_model(home, train)
        ml_info = mlflow_model(store, train)
        rows = _credit.request_rows(1000)
        import pandas as pd

        check_rows = rows[: args.check_rows]
        want = [
            v.item() for v in model.predict(pd.DataFrame(check_rows, columns=list(_credit.COLUMNS)))
        ]
        bodies = {}
        for tool in tools:
            bodies[tool] = base / f"bodies-{tool}.json"
            bodies[tool].write_text(json.dumps([body(tool, [r]) for r in rows]))

        ceiling = calibrate(base, bodies["mlflow"], max(levels), args) if args.calibrate else None
        procs = {
            t: v
            for t, v in servers(base, home, store, ml_info["runs_uri"], args).items()
            if t in tools
        }
        results: dict[str, dict[int, list[dict[str, Any]]]] = {
            t: {n: [] for n in levels} for t in tools
        }
        extra: dict[str, dict[str, Any]] = {t: {} for t in tools}
        try:
            for tool, server in procs.items():
                server.start()
                check(tool, predict_url(tool, server), check_rows, want)
                extra[tool]["start_s"] = round(server.start_s or 0, 2)
                extra[tool]["metadata"] = (
                    s.get_json(server.health.rsplit("/", 1)[0] + "/metadata")
                    if tool == "shipyard"
                    else None
                )
            print(
                f"both servers answer like the fitted model on {len(check_rows)} rows",
                file=sys.stderr,
            )
            for r in range(args.rounds):
                for conc in levels:
                    order = tools if r % 2 == 0 else tools[::-1]
                    for tool in order:
                        results[tool][conc].append(
                            load(tool, procs[tool], bodies[tool], conc, args)
                        )
            for tool, server in procs.items():
                extra[tool]["rss_mb_end"] = round(server.rss_mb(), 1)
                print(f"--- {tool} server log (end) ---\n{server.tail(1500)}", file=sys.stderr)
        finally:
            for server in procs.values():
                server.stop()

    versions = {"shipyard": c.tool_version("shipyard"), "mlflow": ml_info["mlflow"]}
    conditions = {
        "workers": 1,
        "pinned": {"servers": [0], "loadgen": [1]} if args.pin else None,
        "nproc": os.cpu_count(),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "concurrency": levels,
        "request_rows": 1,
        "distinct_request_bodies": len(rows),
        "checked_rows": len(check_rows),
        "loadgen_ceiling": ceiling,
        "train_rows": args.train_rows,
        "model": "Pipeline(StandardScaler, LogisticRegression), 10 float64 columns",
    }
    for tool in tools:
        summary = {n: summarize(results[tool][n]) for n in levels}
        flat: dict[str, Any] = {}
        for n, fig in summary.items():
            for k, v in fig.items():
                flat[f"c{n}_{k}"] = v
        top = max(levels)
        cmd = procs[tool].cmd
        emit(
            "serving_rest",
            tool,
            versions[tool],
            "preds_per_s",
            summary[top]["preds_per_s"],
            "preds/s",
            **flat,
            conditions=conditions,
            server_cmd=" ".join(Path(cmd[0]).name if i == 0 else a for i, a in enumerate(cmd)),
            model=sy_info if tool == "shipyard" else ml_info,
            **extra[tool],
            rounds={str(n): results[tool][n] for n in levels},
        )


if __name__ == "__main__":
    main()
