"""(a) Metric points per second, one ``log_metric`` call per point.

The clock starts at the first call and stops when the points are durable:
for shipyard that is after ``run.end()`` (which flushes the client-side
buffer), for MLflow after ``mlflow.end_run()`` (each call is already a
synchronous write by default; in ``mlflow-async`` mode ``flush_async_logging``
runs first). Afterwards the rows are counted in the SQLite file with a
separate connection, so an unflushed point would fail the benchmark.

    python benchmarks/tracking/log_metric.py --tool shipyard [--points 200000]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c

DEFAULT_POINTS = {"shipyard": 200_000, "mlflow": 2_000, "mlflow-async": 1_000}


def bench_shipyard(home: Path, values: list[float]) -> dict[str, float]:
    c.use_shipyard_home(home)
    import shipyard as sy

    t = time.perf_counter()
    run = sy.start_run(experiment="bench")
    start_run_s = time.perf_counter() - t

    t0 = time.perf_counter()
    log_metric = run.log_metric
    for i, v in enumerate(values):
        log_metric("loss", v, step=i)
    t1 = time.perf_counter()
    run.end()
    t2 = time.perf_counter()
    rows = c.count_rows(
        home / "shipyard.db", "SELECT count(*) FROM metrics WHERE run_id = ?", (run.id,)
    )
    return {"start_run_s": start_run_s, "calls_s": t1 - t0, "end_s": t2 - t1, "rows": rows}


def bench_mlflow(home: Path, values: list[float], async_logging: bool) -> dict[str, float]:
    import mlflow

    c.quiet_mlflow()
    mlflow.set_tracking_uri(c.mlflow_uri(home))
    mlflow.config.enable_async_logging(async_logging)
    t = time.perf_counter()
    mlflow.set_experiment("bench")
    run = mlflow.start_run()
    start_run_s = time.perf_counter() - t

    t0 = time.perf_counter()
    log_metric = mlflow.log_metric
    for i, v in enumerate(values):
        log_metric("loss", v, step=i)
    t1 = time.perf_counter()
    if async_logging:
        mlflow.flush_async_logging()
    mlflow.end_run()
    t2 = time.perf_counter()
    rows = c.count_rows(
        home / "mlflow.db",
        "SELECT count(*) FROM metrics WHERE run_uuid = ?",
        (run.info.run_id,),
    )
    return {"start_run_s": start_run_s, "calls_s": t1 - t0, "end_s": t2 - t1, "rows": rows}


def main() -> None:
    p = c.parser(__doc__.splitlines()[0], tools=("shipyard", "mlflow", "mlflow-async"))
    p.add_argument("--points", type=int, default=None)
    args = p.parse_args()
    n = args.points or DEFAULT_POINTS[args.tool]
    values = [1.0 / (i + 1) for i in range(n)]
    with c.temp_store("log_metric", args.keep) as home:
        if args.tool == "shipyard":
            r = bench_shipyard(home, values)
        else:
            r = bench_mlflow(home, values, async_logging=args.tool == "mlflow-async")
    if r["rows"] != n:
        raise SystemExit(f"{args.tool}: expected {n} metric rows on disk, found {r['rows']}")
    total = r["calls_s"] + r["end_s"]
    c.emit(
        "log_metric",
        args.tool,
        "points_per_s",
        n / total,
        "points/s",
        points=n,
        total_s=round(total, 4),
        calls_s=round(r["calls_s"], 4),
        end_of_run_s=round(r["end_s"], 4),
        us_per_call=round(r["calls_s"] / n * 1e6, 2),
        start_run_s=round(r["start_run_s"], 4),
        rows_on_disk=r["rows"],
    )


if __name__ == "__main__":
    main()
