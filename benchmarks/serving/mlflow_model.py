"""MLflow side: fit the credit model and log it with ``mlflow.sklearn.log_model``.

Runs in the MLflow venv, called by the serving benchmarks' driver:

    .venv-mlflow/bin/python benchmarks/serving/mlflow_model.py --train T.parquet --store DIR

Tracking store ``sqlite:///DIR/mlflow.db``, artifacts under ``DIR/mlartifacts``.
The model is logged with a signature inferred from the training features (so
the MLflow server enforces the input schema, as shipyard's does) and without
an input example. Prints one JSON line: the model URI, the tracking URI, the
seconds ``log_model`` took and MLflow's version.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c
import _credit


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", required=True)
    p.add_argument("--store", type=Path, required=True)
    args = p.parse_args()

    import mlflow
    import sklearn
    from mlflow.models import infer_signature

    c.quiet_mlflow()
    uri = c.mlflow_uri(args.store)
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment(
        "credit", artifact_location=(args.store / "mlartifacts").as_uri()
    )
    model, features = _credit.fit(args.train)
    signature = infer_signature(features.head(100), model.predict(features.head(100)))
    with mlflow.start_run(experiment_id=exp) as run:
        t0 = time.perf_counter()
        info = mlflow.sklearn.log_model(model, name="model", signature=signature)
        log_s = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "model_uri": info.model_uri,
                "runs_uri": f"runs:/{run.info.run_id}/model",
                "tracking_uri": uri,
                "log_model_s": round(log_s, 3),
                "mlflow": mlflow.__version__,
                "sklearn": sklearn.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
