"""(extra) Runs per second created through the public API, one small run at a time.

Each run is what a training script typically records: 3 params and 1 tag at
start, 3 metrics, then the end of the run. One untimed warm-up run first
creates the store and the experiment. This is the rate at which the
``search_runs`` benchmark's 100,000 runs could have been created through
the API (which is why that benchmark inserts them directly instead).

    python benchmarks/tracking/create_runs.py --tool shipyard [--runs 2000]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c

DEFAULT_RUNS = {"shipyard": 1_000, "mlflow": 200}


def one(i: int) -> tuple[dict, dict, dict]:
    params = {"model": ("gbm", "rf", "lr", "xgb")[i % 4], "lr": 0.1, "depth": 6}
    tags = {"team": "risk"}
    metrics = {"auc": 0.5 + (i % 50) / 100, "loss": 1.0 / (i + 2), "f1": 0.8}
    return params, tags, metrics


def bench_shipyard(home: Path, n: int) -> tuple[float, int]:
    c.use_shipyard_home(home)
    import shipyard as sy

    def make(i: int) -> None:
        params, tags, metrics = one(i)
        with sy.start_run(experiment="credit", params=params, tags=tags) as run:
            run.log_metrics(metrics)

    make(-1)
    t = time.perf_counter()
    for i in range(n):
        make(i)
    elapsed = time.perf_counter() - t
    return elapsed, c.count_rows(home / "shipyard.db", "SELECT count(*) FROM runs")


def bench_mlflow(home: Path, n: int) -> tuple[float, int]:
    import mlflow

    c.quiet_mlflow()
    mlflow.set_tracking_uri(c.mlflow_uri(home))
    mlflow.set_experiment("credit")

    def make(i: int) -> None:
        params, tags, metrics = one(i)
        with mlflow.start_run(tags=tags):
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)

    make(-1)
    t = time.perf_counter()
    for i in range(n):
        make(i)
    elapsed = time.perf_counter() - t
    return elapsed, c.count_rows(home / "mlflow.db", "SELECT count(*) FROM runs")


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=None)
    args = p.parse_args()
    n = args.runs or DEFAULT_RUNS[args.tool]
    with c.temp_store("create_runs", args.keep) as home:
        fn = bench_shipyard if args.tool == "shipyard" else bench_mlflow
        elapsed, stored = fn(home, n)
    if stored != n + 1:
        raise SystemExit(f"{args.tool}: expected {n + 1} runs stored, found {stored}")
    c.emit(
        "create_runs",
        args.tool,
        "runs_per_s",
        n / elapsed,
        "runs/s",
        runs=n,
        total_s=round(elapsed, 3),
        ms_per_run=round(elapsed / n * 1e3, 2),
        est_100k_runs_min=round(100_000 * elapsed / n / 60, 1),
    )


if __name__ == "__main__":
    main()
