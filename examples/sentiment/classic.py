"""The classic way: a TF-IDF + logistic regression sentiment classifier, trained by a pipeline.

Run it with ``python examples/sentiment/classic.py`` (it registers the data
first), or ``shipyard pipelines run examples/sentiment/classic.py:train_sentiment``
once ``dataset:sentiment-train`` exists. The pipeline learns only from the
train split: ``fit`` trains on all of it, ``cross_validate`` estimates how
good that is with 5-fold cross-validation on the same split, and ``register``
stores the model as ``model:sentiment-classifier`` with those metrics and
lineage to the dataset version. The eval split is left for evaluations.

The registered model takes a table with a ``text`` column (its signature) and
returns the labels ``negative`` / ``positive``; ``predict_proba`` gives the
probabilities in that order::

    model = sy.models.load("model:sentiment-classifier@latest")
    model.predict({"text": ["Arrived broken."]})         # array(['negative'], ...)
"""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]

# imported here, not in the steps: each step runs in a forked process that inherits them
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.model_selection import cross_validate as sk_cross_validate
from sklearn.pipeline import Pipeline

import shipyard as sy

MODEL = "sentiment-classifier"
TEXT, LABEL = "text", "label"


def make_classifier(C: float = 1.0) -> Pipeline:
    """TF-IDF over word 1- and 2-grams of the ``text`` column, then logistic regression.

    The column transformer picks ``text`` out of the input table, so the model's
    signature is one string column rather than an anonymous list of strings.
    """
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    return Pipeline(
        [
            ("features", ColumnTransformer([("tfidf", words, TEXT)])),
            ("classifier", LogisticRegression(C=C, max_iter=1000)),
        ]
    )


@sy.step
def fit(train: pd.DataFrame, C: float = 1.0) -> sy.pipelines.Model:
    """Fit the classifier on the whole train split."""
    model = make_classifier(C).fit(train[[TEXT]], train[LABEL])
    return sy.pipelines.Model(model, sample_input=train[[TEXT]].head(5))


@sy.step
def cross_validate(
    train: pd.DataFrame, C: float = 1.0, folds: int = 5, seed: int = 0
) -> dict[str, float]:
    """Accuracy and macro F1 by stratified k-fold cross-validation, logged as metrics."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = sk_cross_validate(
        make_classifier(C),
        train[[TEXT]],
        train[LABEL],
        cv=splitter,
        scoring=["accuracy", "f1_macro"],
    )
    metrics = {
        "cv_accuracy": float(scores["test_accuracy"].mean()),
        "cv_f1": float(scores["test_f1_macro"].mean()),
    }
    run = sy.active_run()
    if run is not None:
        run.log_metrics(metrics)
    return metrics


@sy.step
def register(model: object, train: pd.DataFrame, metrics: dict[str, float], data: str) -> str:
    """Register the model, derived from the dataset version it learned from, with its metrics."""
    run = sy.active_run()
    if run is not None:
        run.log_metrics(metrics)  # a version records the metrics of the run that registers it
    version = sy.models.register(
        model, MODEL, sample_input=train[[TEXT]].head(5), derived_from=[data]
    )
    return version.ref


@sy.pipeline(experiment="sentiment")
def train_sentiment(dataset: str = "dataset:sentiment-train@latest", C: float = 1.0) -> None:
    data = sy.datasets.get(dataset).ref  # pin "latest" to a version number
    train = sy.datasets.load(data)
    model = fit(train, C=C)
    metrics = cross_validate(train, C=C)
    register(model, train, metrics, data)


def score(model_ref: str, dataset_ref: str) -> dict[str, float]:
    """Accuracy and macro F1 of a registered model on an eval dataset version (``expected`` labels).

    A quick check for this example; ``shipyard eval run`` is the full evaluation.
    """
    cases = sy.datasets.load(dataset_ref)
    predicted = sy.models.load(model_ref).predict(cases[[TEXT]])
    return {
        "accuracy": float(accuracy_score(cases["expected"], predicted)),
        "f1": float(f1_score(cases["expected"], predicted, average="macro")),
    }


def main() -> str:
    """Register the data, train and register the classifier, print how it does on the eval split."""
    from data import register_datasets  # the sibling module; its folder is on sys.path

    data = register_datasets()
    result = train_sentiment(dataset=data.train)
    for step in result.steps:
        print(f"{step.id:15} {step.status:9} {step.cache_key and step.cache_key[:12]}")
    ref: str = result.load("register")
    cv: dict[str, Any] = result.load("cross_validate")
    print("registered", ref, "cross-validated on the train split:", cv)
    print("on", data.eval + ":", score(ref, data.eval))
    return ref


if __name__ == "__main__":
    main()
