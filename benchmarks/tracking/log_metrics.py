"""(b) Metric points per second when logged as batches of 100 keys per call.

Each call logs one step of 100 metrics (``run.log_metrics`` in shipyard,
``mlflow.log_metrics`` in MLflow, which sends one ``log_batch``). The clock
covers the calls plus the end of the run (the points are durable when it
stops), then the rows are counted in the SQLite file. The whole thing is
repeated ``--repeat`` times, each in a new run of the same store, and the
median rate is reported.

    python benchmarks/tracking/log_metrics.py --tool mlflow [--points 10000] [--repeat 3]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c

KEYS = 100


def batches(points: int) -> list[dict[str, float]]:
    steps = points // KEYS
    return [{f"m{k:03d}": (s * KEYS + k) / points for k in range(KEYS)} for s in range(steps)]


def bench_shipyard(home: Path, data: list[dict[str, float]], repeat: int) -> list[dict]:
    c.use_shipyard_home(home)
    import shipyard as sy

    out = []
    for _ in range(repeat):
        run = sy.start_run(experiment="bench")
        t0 = time.perf_counter()
        for step, values in enumerate(data):
            run.log_metrics(values, step=step)
        t1 = time.perf_counter()
        run.end()
        t2 = time.perf_counter()
        rows = c.count_rows(
            home / "shipyard.db", "SELECT count(*) FROM metrics WHERE run_id = ?", (run.id,)
        )
        out.append({"calls_s": t1 - t0, "end_s": t2 - t1, "rows": rows})
    return out


def bench_mlflow(home: Path, data: list[dict[str, float]], repeat: int) -> list[dict]:
    import mlflow

    c.quiet_mlflow()
    mlflow.set_tracking_uri(c.mlflow_uri(home))
    mlflow.set_experiment("bench")
    out = []
    for _ in range(repeat):
        run = mlflow.start_run()
        t0 = time.perf_counter()
        for step, values in enumerate(data):
            mlflow.log_metrics(values, step=step)
        t1 = time.perf_counter()
        mlflow.end_run()
        t2 = time.perf_counter()
        rows = c.count_rows(
            home / "mlflow.db",
            "SELECT count(*) FROM metrics WHERE run_uuid = ?",
            (run.info.run_id,),
        )
        out.append({"calls_s": t1 - t0, "end_s": t2 - t1, "rows": rows})
    return out


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=10_000, help="points per run (multiple of 100)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    data = batches(args.points)
    n = len(data) * KEYS
    with c.temp_store("log_metrics", args.keep) as home:
        fn = bench_shipyard if args.tool == "shipyard" else bench_mlflow
        results = fn(home, data, args.repeat)
    for r in results:
        if r["rows"] != n:
            raise SystemExit(f"{args.tool}: expected {n} metric rows on disk, found {r['rows']}")
    totals = [r["calls_s"] + r["end_s"] for r in results]
    c.emit(
        "log_metrics",
        args.tool,
        "points_per_s",
        n / c.median(totals),
        "points/s",
        points=n,
        batch_keys=KEYS,
        calls=len(data),
        repeat=args.repeat,
        total_s_each=[round(t, 4) for t in totals],
        end_of_run_s_each=[round(r["end_s"], 4) for r in results],
        ms_per_call=round(c.median([r["calls_s"] for r in results]) / len(data) * 1e3, 3),
    )


if __name__ == "__main__":
    main()
