"""A credit-scoring pipeline: dataset version → split → train → evaluate → register.

Run it with ``python examples/credit_pipeline.py`` (or
``shipyard pipelines run examples/credit_pipeline.py:train_credit --param C=0.5``),
then ``shipyard pipelines show <run>`` or the Pipelines page of ``shipyard ui``.
Run it twice: the second run reuses every step from the cache.

The data is synthetic and made here (``make_credit_data``): 4,000 loan
applicants whose default probability follows a logistic model of their debt
ratio, late payments, income and history, with noise. It is not real credit
data; it is shaped like it, so the pipeline has something honest to learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import shipyard as sy

TARGET = "default"


def make_credit_data(rows: int = 4000, seed: int = 7) -> pd.DataFrame:
    """Synthetic loan applicants with a ``default`` label (1 = defaulted within a year)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(21, 75, rows)
    income = np.round(rng.lognormal(10.6, 0.45, rows), -2)
    debt_ratio = np.clip(rng.beta(2.0, 5.0, rows) * 1.4, 0.0, 1.2)
    late_payments = rng.poisson(0.6, rows)
    credit_lines = rng.integers(0, 15, rows)
    months_employed = np.minimum(rng.exponential(60, rows).astype(int), (age - 18) * 12)
    loan_amount = np.round(rng.uniform(1_000, 40_000, rows), -2)
    home_owner = rng.random(rows) < 0.45
    score = (
        -2.2
        + 3.1 * debt_ratio
        + 0.75 * late_payments
        - 0.9 * (np.log(income) - 10.6)
        - 0.012 * months_employed
        + 0.000025 * loan_amount
        - 0.45 * home_owner
        + rng.normal(0, 0.6, rows)
    )
    default = (rng.random(rows) < 1 / (1 + np.exp(-score))).astype(int)
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "debt_ratio": debt_ratio.round(4),
            "late_payments": late_payments,
            "credit_lines": credit_lines,
            "months_employed": months_employed,
            "loan_amount": loan_amount,
            "home_owner": home_owner.astype(int),
            TARGET: default,
        }
    )


@sy.step
def split(
    data: pd.DataFrame, test_size: float = 0.25, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a stratified test set."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        data, test_size=test_size, random_state=seed, stratify=data[TARGET]
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


@sy.step
def fit(train: pd.DataFrame, C: float = 1.0) -> sy.pipelines.Model:
    """Scale the features and fit a logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = train.drop(columns=TARGET)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
    model.fit(features, train[TARGET])
    return sy.pipelines.Model(model, sample_input=features.head(5))


@sy.step
def evaluate(model: object, test: pd.DataFrame) -> dict[str, float]:
    """Accuracy, F1 and ROC AUC on the held-out set, logged as the step's metrics."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    features, truth = test.drop(columns=TARGET), test[TARGET]
    predicted = model.predict(features)  # type: ignore[attr-defined]
    scores = model.predict_proba(features)[:, 1]  # type: ignore[attr-defined]
    metrics = {
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted)),
        "auc": float(roc_auc_score(truth, scores)),
    }
    run = sy.active_run()
    if run is not None:
        run.log_metrics(metrics)
    return metrics


@sy.step
def register(model: object, test: pd.DataFrame, metrics: dict[str, float], data: str) -> str:
    """Register the model with its signature, derived from the dataset version it learned from.

    The version records the evaluation metrics: it copies those of the run that registers it.
    """
    run = sy.active_run()
    if run is not None:
        run.log_metrics(metrics)
    features = test.drop(columns=TARGET)
    version = sy.models.register(
        model, "credit", sample_input=features.head(5), derived_from=[data]
    )
    return version.ref


@sy.pipeline(experiment="credit")
def train_credit(dataset: str = "dataset:credit@latest", C: float = 1.0) -> None:
    data = sy.datasets.get(dataset).ref  # pin "latest" to a version number, e.g. dataset:credit@3
    train, test = split(sy.datasets.load(data))
    model = fit(train, C=C)
    metrics = evaluate(model, test)
    register(model, test, metrics, data)


def main() -> str:
    """Register the data (a no-op when unchanged), run the pipeline, return the model it registered."""
    sy.datasets.register(make_credit_data(), "credit")
    result = train_credit()
    for step in result.steps:
        print(f"{step.id:10} {step.status:9} {step.cache_key and step.cache_key[:12]}")
    ref: str = result.load("register")
    print("registered", ref, "with", result.load("evaluate"))
    return ref


if __name__ == "__main__":
    main()
