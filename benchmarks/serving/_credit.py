"""The credit-scoring table and model both sides of the serving benchmarks use.

Imported under both interpreters (the shipyard venv and the MLflow venv), so
it needs only numpy, pandas and scikit-learn, which both have. The table is
made once, by the benchmark driver, and written to Parquet; each side reads
that file and fits ``make_model()`` on it, so both fit the same estimator
with the same seed on the same bytes (the driver checks that the two servers
then answer the same).
"""

from __future__ import annotations

from typing import Any

SEED = 20261124
TARGET = "default"
COLUMNS = (
    "age",
    "income",
    "debt_ratio",
    "utilization",
    "credit_lines",
    "late_30_59",
    "late_60_89",
    "late_90",
    "dependents",
    "months_employed",
)


def make_table(rows: int, seed: int = SEED, with_target: bool = True) -> Any:
    """``rows`` synthetic applicants: 10 float64 columns and a 0/1 ``default`` label."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cols = {
        "age": rng.uniform(21, 75, rows),
        "income": rng.lognormal(10.5, 0.5, rows),
        "debt_ratio": rng.beta(2, 5, rows),
        "utilization": rng.beta(2, 3, rows),
        "credit_lines": rng.poisson(8, rows).astype(np.float64),
        "late_30_59": rng.poisson(0.3, rows).astype(np.float64),
        "late_60_89": rng.poisson(0.1, rows).astype(np.float64),
        "late_90": rng.poisson(0.05, rows).astype(np.float64),
        "dependents": rng.poisson(1.0, rows).astype(np.float64),
        "months_employed": rng.exponential(60, rows),
    }
    frame = pd.DataFrame(cols)
    if with_target:
        logit = (
            -2.0
            + 2.5 * frame["utilization"]
            + 2.0 * frame["debt_ratio"]
            + 0.8 * frame["late_30_59"]
            + 1.2 * frame["late_60_89"]
            + 1.5 * frame["late_90"]
            - 0.02 * (frame["age"] - 40)
            - 0.3 * np.log(frame["income"] / 36_000)
            + rng.normal(0, 0.5, rows)
        )
        frame[TARGET] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return frame


def make_model() -> Any:
    """A scikit-learn pipeline: standard scaling, then logistic regression (lbfgs).

    Not gradient-boosted trees: skops (which both shipyard and MLflow 3.17.2
    use to save scikit-learn models) does not trust ``sklearn.tree._tree.Tree``
    by default, and each server would need its own trust option to load one.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [("scale", StandardScaler()), ("logreg", LogisticRegression(C=1.0, max_iter=1000))]
    )


def fit(train_path: str) -> tuple[Any, Any]:
    """``(fitted model, feature frame)`` from the training Parquet file the driver wrote."""
    import pandas as pd

    table = pd.read_parquet(train_path)
    features = table[list(COLUMNS)]
    model = make_model().fit(features, table[TARGET])
    return model, features


def request_rows(count: int, seed: int = SEED + 1) -> list[dict[str, float]]:
    """``count`` feature rows for requests, rounded to 4 decimals (JSON stays short)."""
    frame = make_table(count, seed=seed, with_target=False).round(4)
    return [{k: float(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
