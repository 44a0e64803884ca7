"""MLflow reference for batch inference: ``mlflow.pyfunc.load_model(uri).predict`` over a Parquet file.

Runs in the MLflow venv, called by ``serving_batch.py`` after ``mlflow_model.py``
logged the model. MLflow has no chunked file-to-file batch command for Parquet
(``mlflow models predict`` takes CSV or JSON; Spark's ``spark_udf`` needs
Spark), so this is what a user writes by hand: read the whole file with
pandas, ``predict`` (the pyfunc wrapper enforces the signature), add the
``prediction`` column, write Parquet. The model is loaded and called on 10
rows before the clock; the clock covers read + predict + write, best of
``--repeat``. Prints one JSON line.

    .venv-mlflow/bin/python mlflow_batch.py --model-uri runs:/ID/model --input in.parquet --output out.parquet
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-uri", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()

    import mlflow
    import pandas as pd

    c.quiet_mlflow()
    t0 = time.perf_counter()
    model = mlflow.pyfunc.load_model(args.model_uri)
    load_s = time.perf_counter() - t0
    model.predict(pd.read_parquet(args.input).head(10))

    times = []
    rows = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        frame = pd.read_parquet(args.input)
        frame["prediction"] = model.predict(frame)
        frame.to_parquet(args.output)
        times.append(time.perf_counter() - t0)
        rows = len(frame)
    best = min(times)
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(best, 3),
                "all_seconds": [round(t, 3) for t in times],
                "rows_per_s": rows / best,
                "load_model_s": round(load_s, 3),
                "mlflow": mlflow.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
