"""Batch inference over a 1,000,000-row Parquet file: shipyard local vs Ray, MLflow for reference.

One driver (this script, shipyard venv) in a fresh temporary folder:

- the credit table to train on and a 1M-row input file (10 float64 columns,
  fixed seeds, ``_credit``); the model is fitted, registered and aliased
  ``production`` as for the REST benchmark;
- **local**: ``shipyard.serving.batch.predict_file(ref, input, output,
  executor="local")``, after one untimed job on a 10,000-row file (imports,
  the model download); best of ``--repeat``;
- **Ray**: the start of a local Ray instance (``ray_cluster.connect``, the
  call ``predict_file`` makes), timed on its own; then a first job on the
  10,000-row file in 10 chunks (Ray starts its worker processes, each loads
  the model), timed on its own; then ``predict_file(..., executor="ray")`` over the 1M rows,
  best of ``--repeat``, warm;
- **CLI**: ``shipyard predict REF --input ... --output ... --executor local|ray``
  once each, the wall clock of the whole command as a user sees it (process
  start, imports, for Ray its start-up too);
- **MLflow** (its venv, ``mlflow_batch.py``): ``mlflow.pyfunc.load_model``
  and ``predict`` on the whole frame read with pandas, written back with
  ``to_parquet``, best of ``--repeat``: what a user of MLflow writes by hand.

Every output's predictions are compared with each other (and with the fitted
model on the first 10,000 rows). rows/s divide the input's row count by the
wall time of read + predict + write. Prints two JSON lines (shipyard, mlflow).

    python benchmarks/serving/serving_batch.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c
import _credit
from _models import emit, mlflow_model, mlflow_script, shipyard_model

WARM_CHUNK = 1_000  # the 10,000-row warm-up jobs in 10 chunks, so every Ray worker gets some


def best_of(repeat: int, job: Any) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - t0)
    return min(times), [round(t, 3) for t in times], result


def predictions_of(path: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=["prediction"]).column(0).to_numpy()


def cli(home: Path, ref: str, src: Path, dst: Path, executor: str) -> float:
    env = dict(os.environ, SHIPYARD_HOME=str(home))
    cmd = [
        str(Path(sys.executable).parent / "shipyard"),
        "predict",
        ref,
        "--input",
        str(src),
        "--output",
        str(dst),
        "--executor",
        executor,
        "--json",
    ]
    print(f"$ {' '.join(cmd[1:])}", file=sys.stderr)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"shipyard predict --executor {executor} failed:\n{out.stderr[-3000:]}")
    print(f"  {elapsed:.2f} s: {out.stdout.strip()[-300:]}", file=sys.stderr)
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tool", choices=("side-by-side",), default="side-by-side", help="always both")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--train-rows", type=int, default=20_000)
    p.add_argument("--no-cli", dest="cli", action="store_false", help="skip the CLI runs")
    args = p.parse_args()

    with c.temp_store("serving_batch", args.keep) as base:
        train, src, small = base / "train.parquet", base / "input.parquet", base / "small.parquet"
        _credit.make_table(args.train_rows).to_parquet(train)
        frame = _credit.make_table(args.rows, seed=_credit.SEED + 2, with_target=False)
        frame.to_parquet(src)
        frame.head(10_000).to_parquet(small)
        size_mb = src.stat().st_size / 1e6
        home = base / "shipyard"
        model, sy_info = shipyard_model(home, train)
        ref = sy_info["ref"]
        want = model.predict(frame.head(10_000))
        del frame

        from shipyard.pipelines import ray_cluster
        from shipyard.serving.batch import predict_file
        from shipyard.workspace import current_workspace

        sy: dict[str, Any] = {}
        t0 = time.perf_counter()
        predict_file(
            ref, small, base / "warm-local.parquet", executor="local", batch_size=WARM_CHUNK
        )
        sy["local_first_small_job_s"] = round(time.perf_counter() - t0, 3)
        out_local = base / "out-local.parquet"
        best, times, result = best_of(
            args.repeat, lambda: predict_file(ref, src, out_local, executor="local")
        )
        rows = result.rows
        sy.update(local_s=round(best, 3), local_all_s=times, local_rows_per_s=rows / best)
        sy["chunks"] = result.chunks
        print(f"shipyard local: {rows / best:,.0f} rows/s ({times} s)", file=sys.stderr)

        t0 = time.perf_counter()
        ray = ray_cluster.connect(current_workspace())
        sy["ray_start_s"] = round(time.perf_counter() - t0, 3)
        sy["ray_cpus"] = ray.cluster_resources().get("CPU")
        t0 = time.perf_counter()
        predict_file(ref, small, base / "warm-ray.parquet", executor="ray", batch_size=WARM_CHUNK)
        sy["ray_first_small_job_s"] = round(time.perf_counter() - t0, 3)
        out_ray = base / "out-ray.parquet"
        best, times, _ = best_of(
            args.repeat, lambda: predict_file(ref, src, out_ray, executor="ray")
        )
        sy.update(ray_s=round(best, 3), ray_all_s=times, ray_rows_per_s=rows / best)
        print(
            f"shipyard ray: start {sy['ray_start_s']} s, first 10k-row job "
            f"{sy['ray_first_small_job_s']} s, {rows / best:,.0f} rows/s ({times} s)",
            file=sys.stderr,
        )
        ray_cluster.shutdown()

        if args.cli:
            sy["cli_local_s"] = round(cli(home, ref, src, base / "cli-local.parquet", "local"), 3)
            sy["cli_ray_s"] = round(cli(home, ref, src, base / "cli-ray.parquet", "ray"), 3)

        ml_info = mlflow_model(base / "mlflow", train)
        out_ml = base / "out-mlflow.parquet"
        ml = mlflow_script(
            "mlflow_batch.py",
            "--model-uri",
            ml_info["runs_uri"],
            "--input",
            str(src),
            "--output",
            str(out_ml),
            "--repeat",
            str(args.repeat),
            store=base / "mlflow",
        )
        print(f"mlflow pyfunc: {ml['rows_per_s']:,.0f} rows/s", file=sys.stderr)

        local, on_ray, by_mlflow = (predictions_of(x) for x in (out_local, out_ray, out_ml))
        if not (len(local) == len(on_ray) == len(by_mlflow) == rows):
            raise SystemExit(f"row counts differ: {len(local)}, {len(on_ray)}, {len(by_mlflow)}")
        if not ((local == on_ray).all() and (local == by_mlflow).all()):
            raise SystemExit("predictions differ between local, Ray and MLflow outputs")
        if not (local[: len(want)] == want).all():
            raise SystemExit("predictions differ from the fitted model's")
        if args.cli:
            for name in ("cli-local", "cli-ray"):
                if not (predictions_of(base / f"{name}.parquet") == local).all():
                    raise SystemExit(f"{name}: predictions differ")

    conditions = {
        "rows": rows,
        "input_mb": round(size_mb, 1),
        "columns": len(_credit.COLUMNS),
        "repeat": args.repeat,
        "nproc": os.cpu_count(),
        "model": "Pipeline(StandardScaler, LogisticRegression)",
        "checked": "local == ray == mlflow predictions on every row",
    }
    emit(
        "serving_batch",
        "shipyard",
        c.tool_version("shipyard"),
        "rows_per_s",
        sy["local_rows_per_s"],
        "rows/s",
        **sy,
        model=sy_info,
        conditions=conditions,
    )
    emit(
        "serving_batch",
        "mlflow",
        ml["mlflow"],
        "rows_per_s",
        ml["rows_per_s"],
        "rows/s",
        local_rows_per_s=ml["rows_per_s"],
        local_s=ml["seconds"],
        local_all_s=ml["all_seconds"],
        load_model_s=ml["load_model_s"],
        model=ml_info,
        conditions=conditions,
        how="pyfunc.load_model + pd.read_parquet + predict + to_parquet, in one process",
    )


if __name__ == "__main__":
    main()
