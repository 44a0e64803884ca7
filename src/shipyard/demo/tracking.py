"""A small hyperparameter grid over three scikit-learn model families on the breast cancer set.

The dataset ships inside scikit-learn (569 tumours, 30 features, binary
label), so the demo runs offline. Each family logs a curve worth plotting:
gradient boosting its validation loss per stage, the random forest its
validation accuracy as trees are added, logistic regression (SGD) its loss per
epoch.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from shipyard.tracking import api
from shipyard.tracking.run import ActiveRun

EXPERIMENT = "breast-cancer"
DATASET = "breast-cancer"

GRID: list[tuple[str, dict[str, Any]]] = [
    ("logreg", {"alpha": 1e-4, "epochs": 40}),
    ("logreg", {"alpha": 1e-2, "epochs": 40}),
    ("forest", {"n_estimators": 120, "max_depth": 3}),
    ("forest", {"n_estimators": 120, "max_depth": 8}),
    ("gbm", {"learning_rate": 0.05, "n_estimators": 150, "max_depth": 2}),
    ("gbm", {"learning_rate": 0.3, "n_estimators": 150, "max_depth": 3}),
]


def run_demo(progress: bool = True) -> DemoResult:
    """Register the dataset, train the grid as child runs of one parent run, register the best.

    The parent run consumes ``dataset:breast-cancer`` and produces
    ``model:breast-cancer``, whose ``champion`` alias points at the best model,
    so the lineage reads dataset → run → model.
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from shipyard.assets.aliases import move_alias
    from shipyard.assets.datasets import api as datasets
    from shipyard.assets.models import api as models

    bunch = load_breast_cancer(as_frame=True)
    dataset = datasets.register(bunch.frame, DATASET)
    summary: list[dict[str, Any]] = []
    fitted: dict[str, Any] = {}
    with api.start_run(
        experiment=EXPERIMENT,
        name="grid-search",
        params={"dataset": dataset.ref, "rows": dataset.metadata["num_rows"]},
        tags={"demo": "true"},
    ) as parent:
        frame = datasets.load(dataset.ref)
        features = frame.drop(columns="target")
        x_train_df, x_val_df, y_train, y_val = train_test_split(
            features,
            frame["target"].to_numpy(),
            test_size=0.25,
            random_state=7,
            stratify=frame["target"],
        )
        scaler = StandardScaler().fit(x_train_df)
        x_train, x_val = scaler.transform(x_train_df), scaler.transform(x_val_df)
        for family, params in _progress(GRID, progress):
            with api.start_run(
                name=f"{family}-{_slug(params)}",
                params={"model": family, **params},
                tags={"family": family},
            ) as run:
                model = TRAINERS[family](run, params, x_train, y_train, x_val, y_val)
                scores = _score(run, model, x_val, y_val, list(bunch.target_names))
                summary.append({"name": run.name, "model": family, **scores})
                fitted[run.name] = model
        best = max(summary, key=lambda s: float(s["auc"]))
        parent.log_metrics({"best_auc": float(best["auc"]), "best_f1": float(best["f1"])})
        parent.set_tag("best_run", str(best["name"]))
        pipeline = Pipeline([("scale", scaler), ("model", fitted[str(best["name"])])])
        version = models.register(pipeline, DATASET, sample_input=x_val_df.head(5))
        move_alias(version.ref, "champion")
    return DemoResult(
        runs=sorted(summary, key=lambda s: -float(s["auc"])),
        dataset=dataset.ref,
        model=version.ref,
    )


@dataclass(frozen=True)
class DemoResult:
    runs: list[dict[str, Any]]
    dataset: str
    model: str


def _progress(
    items: list[tuple[str, dict[str, Any]]], show: bool
) -> Iterator[tuple[str, dict[str, Any]]]:
    if not show:
        yield from items
        return
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task("training", total=len(items))
        for item in items:
            bar.update(task, description=f"training {item[0]}")
            yield item
            bar.advance(task)


def _slug(params: dict[str, Any]) -> str:
    return "-".join(f"{k[:2]}{v}" for k, v in params.items() if k != "epochs")


def _train_logreg(run: ActiveRun, p: dict[str, Any], x: Any, y: Any, xv: Any, yv: Any) -> Any:
    import numpy as np
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import log_loss

    model = SGDClassifier(loss="log_loss", alpha=p["alpha"], random_state=0)
    classes = np.unique(y)
    for epoch in range(p["epochs"]):
        model.partial_fit(x, y, classes=classes)
        run.log_metric("train_loss", log_loss(y, model.predict_proba(x)), step=epoch)
        run.log_metric("val_loss", log_loss(yv, model.predict_proba(xv)), step=epoch)
    return model


def _train_forest(run: ActiveRun, p: dict[str, Any], x: Any, y: Any, xv: Any, yv: Any) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(
        n_estimators=10, max_depth=p["max_depth"], warm_start=True, random_state=0
    )
    for n in range(10, p["n_estimators"] + 1, 10):
        model.set_params(n_estimators=n)
        model.fit(x, y)
        run.log_metric("val_accuracy", float(model.score(xv, yv)), step=n)
    return model


def _train_gbm(run: ActiveRun, p: dict[str, Any], x: Any, y: Any, xv: Any, yv: Any) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import log_loss

    model = GradientBoostingClassifier(
        learning_rate=p["learning_rate"],
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        random_state=0,
    ).fit(x, y)
    for stage, (tr, va) in enumerate(
        zip(model.staged_predict_proba(x), model.staged_predict_proba(xv), strict=True)
    ):
        run.log_metric("train_loss", log_loss(y, tr), step=stage)
        run.log_metric("val_loss", log_loss(yv, va), step=stage)
    return model


Trainer = Callable[[ActiveRun, dict[str, Any], Any, Any, Any, Any], Any]
TRAINERS: dict[str, Trainer] = {"logreg": _train_logreg, "forest": _train_forest, "gbm": _train_gbm}


def _score(run: ActiveRun, model: Any, xv: Any, yv: Any, labels: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, roc_auc_score

    pred = model.predict(xv)
    proba = model.predict_proba(xv)[:, 1]
    scores = {
        "accuracy": float(accuracy_score(yv, pred)),
        "f1": float(f1_score(yv, pred)),
        "auc": float(roc_auc_score(yv, proba)),
    }
    run.log_metrics(scores)
    matrix = confusion_matrix(yv, pred)
    buf = io.StringIO()
    buf.write("actual\\predicted," + ",".join(labels) + "\n")
    for label, row in zip(labels, matrix, strict=True):
        buf.write(label + "," + ",".join(str(int(v)) for v in row) + "\n")
    run.log_text(buf.getvalue(), "confusion_matrix.csv")
    run.log_text(_report(run.name, scores, labels, matrix), "report.html")
    return scores


def _report(name: str, scores: dict[str, float], labels: list[str], matrix: Any) -> str:
    from html import escape

    rows = "".join(
        f"<tr><th>{escape(label)}</th>" + "".join(f"<td>{int(v)}</td>" for v in row) + "</tr>"
        for label, row in zip(labels, matrix, strict=True)
    )
    metrics = "".join(f"<li>{k}: {v:.4f}</li>" for k, v in scores.items())
    head = "".join(f"<th>{escape(label)}</th>" for label in labels)
    return (
        f"<!doctype html><meta charset=utf-8><title>{escape(name)}</title>"
        f"<h1>{escape(name)}</h1><ul>{metrics}</ul>"
        f"<table border=1><tr><th>actual \\ predicted</th>{head}</tr>{rows}</table>"
    )
