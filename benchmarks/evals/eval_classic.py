"""Cases/s evaluating a registered classic classifier on a labelled dataset, as a tracked run.

The seed example's classifier (``examples/sentiment``: TF-IDF over word 1-2
grams + logistic regression, fitted on the 560 train reviews, outside the
clock) is evaluated on the 240 eval reviews and on those 240 repeated to
``--sizes`` cases (10,080 = 42 copies by default), with accuracy and F1:

- **shipyard**: the model registered with ``sy.models.register`` and each eval
  set with ``sy.evals.create_dataset`` (columns ``text``, ``expected``), before
  the clock; timed: ``sy.evals.evaluate("model:NAME@1", "dataset:NAME@1",
  ["accuracy", "f1"], progress=False)``, end to end (resolves both versions,
  reads the cases, loads the model through its cache, predicts in batches of
  1,024 with ``predict_proba``, scores, logs the metrics in a run, stores every
  case as ``cases.jsonl`` and ``evaluation.json`` artifacts);
- **mlflow**: the same fitted pipeline logged with ``mlflow.sklearn.log_model``
  in a SQLite tracking store (``sqlite:///<tmp>/mlflow.db``), before the
  clock; timed: ``mlflow.start_run()`` + ``mlflow.models.evaluate(model_uri,
  data=df, targets="expected", model_type="classifier",
  evaluators=["default"])`` + the end of the run (loads the pyfunc model from
  the URI, predicts, ``predict_proba``, computes its classifier metrics, draws
  and logs its plots: ROC, precision-recall, lift, calibration curves and the
  confusion matrix as PNGs, plus the metrics; it stores no per-case results
  for a classifier). MLflow has no switch for the plots; the SHAP explainer
  (``log_model_explainability``) is skipped anyway (string labels, shap not
  installed); ``--tool mlflow-noshap`` sets it off explicitly, the documented
  switch. The time spent drawing and logging the PNGs is measured inside the
  clock by wrapping the evaluator's ``_log_image_artifact`` (``plots_s``).

F1 is not the same number on both sides: shipyard's ``f1`` is the macro
average over the two labels, MLflow's ``f1_score`` the F1 of its positive
label (``positive``); both are in the JSON, with scikit-learn's macro F1.

Each side first runs one untimed evaluation of the 240 cases (imports, first
model load; its time is ``first_eval_s``), then ``--repeat`` timed ones per
size, each a new run; cases/s = cases / median seconds. Both read the same
cases (``_sentiment.py``, checked against ``examples/sentiment`` on the
shipyard side), both report accuracy and must agree with scikit-learn's on the
same predictions (and both sides' predictions have the same digest).

    python benchmarks/evals/eval_classic.py --tool shipyard [--sizes 240,10080] [--repeat 3]
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import _common as c  # noqa: E402
import _sentiment as S  # noqa: E402

NAME = "sentiment-classifier"
SCORERS = ["accuracy", "f1"]
# mlflow-noshap: the same with evaluator_config={"log_model_explainability": False}, MLflow's
# documented switch for its SHAP explainer (the only one; the plots have none)
TOOLS = ("shipyard", "mlflow", "mlflow-noshap")


def sklearn_scores(expected: Any, predicted: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(expected, predicted)),
        "f1_macro": float(f1_score(expected, predicted, average="macro")),
    }


def load_example(name: str) -> Any:
    """``examples/sentiment/NAME.py`` as a module (it imports shipyard: shipyard side only)."""
    if str(S.EXAMPLE) not in sys.path:
        sys.path.insert(0, str(S.EXAMPLE))
    spec = importlib.util.spec_from_file_location(f"sentiment_{name}", S.EXAMPLE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def check_copy_of_example(train: Any, cases: Any) -> None:
    """The benchmark's split and classifier are the example's (shipyard side: it can import them)."""
    data = load_example("data")
    train0, test0 = data.split_reviews(data.load_reviews())
    if not (train0.equals(train[train0.columns]) and list(test0["text"]) == list(cases["text"])):
        raise SystemExit("the benchmark's split differs from examples/sentiment/data.py")
    classic = load_example("classic")
    if repr(classic.make_classifier().get_params()) != repr(S.make_classifier().get_params()):
        raise SystemExit("the benchmark's classifier differs from examples/sentiment/classic.py")


def bench_shipyard(home: Path, sizes: list[int], repeat: int) -> dict[str, Any]:
    c.use_shipyard_home(home)
    import shipyard as sy

    train, cases = S.train_and_eval()
    check_copy_of_example(train, cases)
    model = S.fit(train)
    t0 = time.perf_counter()
    model_ref = sy.models.register(model, NAME, sample_input=train[[S.TEXT]].head(5)).ref
    info: dict[str, Any] = {"register_model_s": round(time.perf_counter() - t0, 3)}
    refs = {}
    for size in sorted({len(cases), *sizes}):
        t0 = time.perf_counter()
        refs[size] = sy.evals.create_dataset(
            f"sentiment-eval-{size}", S.eval_cases(cases, size)
        ).ref
        info[f"create_dataset_{size}_s"] = round(time.perf_counter() - t0, 3)

    def evaluate(size: int) -> tuple[float, Any]:
        t0 = time.perf_counter()
        result = sy.evals.evaluate(model_ref, refs[size], SCORERS, progress=False)
        return time.perf_counter() - t0, result

    first_s, _ = evaluate(len(cases))
    info["first_eval_s"] = round(first_s, 3)
    per_size: dict[int, dict[str, Any]] = {}
    for size in sizes:
        runs = [evaluate(size) for _ in range(repeat)]
        result = runs[-1][1]
        expected = [x.expected for x in result.cases]
        outputs = [x.output for x in result.cases]
        truth = S.eval_cases(cases, size)
        direct = list(model.predict(truth[[S.TEXT]]))
        if outputs != direct or expected != list(truth["expected"]):
            raise SystemExit(
                f"shipyard: the evaluation's outputs differ from model.predict ({size})"
            )
        reference = sklearn_scores(expected, direct)
        if abs(result.metrics["accuracy"] - reference["accuracy"]) > 1e-12:
            raise SystemExit(
                f"shipyard accuracy {result.metrics['accuracy']} != sklearn {reference['accuracy']}"
            )
        per_size[size] = {
            "seconds": [round(t, 4) for t, _ in runs],
            "metrics": {k: v for k, v in result.metrics.items() if k in ("accuracy", "f1")},
            "sklearn": reference,
            "predictions_digest": S.digest(outputs),
            "stored": {"artifacts": ["cases.jsonl", "evaluation.json"], "cases": len(outputs)},
            "run_id": result.run_id,
        }
    return {"info": info, "sizes": per_size}


def bench_mlflow(home: Path, sizes: list[int], repeat: int, explainability: bool) -> dict[str, Any]:
    import mlflow
    from mlflow.models.evaluation.default_evaluator import BuiltInEvaluator

    c.quiet_mlflow()
    mlflow.set_tracking_uri(c.mlflow_uri(home))
    mlflow.set_experiment("evals")
    train, cases = S.train_and_eval()
    model = S.fit(train)
    t0 = time.perf_counter()
    with mlflow.start_run(run_name="train"):
        logged = mlflow.sklearn.log_model(
            model, name="model", input_example=train[[S.TEXT]].head(5)
        )
    info: dict[str, Any] = {"log_model_s": round(time.perf_counter() - t0, 3)}
    frames = {size: S.eval_cases(cases, size) for size in sorted({len(cases), *sizes})}

    plots: list[float] = []
    original = BuiltInEvaluator._log_image_artifact

    def timed_plot(self: Any, *args: Any, **kwargs: Any) -> Any:  # instrumentation only
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            plots.append(time.perf_counter() - t0)

    BuiltInEvaluator._log_image_artifact = timed_plot  # type: ignore[method-assign]
    # evaluators given as a list: the config is keyed by evaluator name
    config = {} if explainability else {"default": {"log_model_explainability": False}}

    def evaluate(size: int) -> tuple[float, Any, float, str]:
        plots.clear()
        t0 = time.perf_counter()
        with mlflow.start_run(run_name=f"eval-{size}") as run:
            result = mlflow.models.evaluate(
                logged.model_uri,
                data=frames[size],
                targets="expected",
                model_type="classifier",
                evaluators=["default"],
                evaluator_config=config,
            )
        return time.perf_counter() - t0, result, sum(plots), run.info.run_id

    first_s, _, _, _ = evaluate(len(cases))
    info["first_eval_s"] = round(first_s, 3)
    t0 = time.perf_counter()
    mlflow.pyfunc.load_model(logged.model_uri)
    info["load_model_s"] = round(time.perf_counter() - t0, 3)  # paid inside each evaluate
    per_size: dict[int, dict[str, Any]] = {}
    client = mlflow.MlflowClient()
    for size in sizes:
        runs = [evaluate(size) for _ in range(repeat)]
        _, result, _, run_id = runs[-1]
        truth = frames[size]
        direct = list(model.predict(truth[[S.TEXT]]))
        reference = sklearn_scores(list(truth["expected"]), direct)
        if abs(result.metrics["accuracy_score"] - reference["accuracy"]) > 1e-12:
            raise SystemExit(
                f"mlflow accuracy {result.metrics['accuracy_score']} != sklearn "
                f"{reference['accuracy']}"
            )
        artifacts = sorted(a.path for a in client.list_artifacts(run_id))
        per_size[size] = {
            "seconds": [round(t, 4) for t, _, _, _ in runs],
            "plots_s": [round(p, 4) for _, _, p, _ in runs],
            "metrics": {
                "accuracy": result.metrics["accuracy_score"],
                "f1": result.metrics["f1_score"],  # binary F1 of the positive label
            },
            "metric_names": sorted(result.metrics),
            "sklearn": reference,
            "predictions_digest": S.digest(direct),
            "stored": {"artifacts": artifacts, "cases": 0},
            "run_id": run_id,
        }
    return {"info": info, "sizes": per_size}


def main() -> None:
    p = c.parser(__doc__.splitlines()[0], TOOLS)
    p.add_argument(
        "--sizes",
        default="240,10080",
        help="eval set sizes, multiples of the 240 eval cases (default 240,10080)",
    )
    p.add_argument("--repeat", type=int, default=3, help="timed evaluations per size")
    args = p.parse_args()
    sizes = S.parse_sizes(args.sizes, 240)
    loadavg_start = list(os.getloadavg())
    with c.temp_store("eval_classic", args.keep) as home:
        if args.tool == "shipyard":
            out = bench_shipyard(home, sizes, args.repeat)
        else:
            out = bench_mlflow(home, sizes, args.repeat, args.tool == "mlflow")
    details: dict[str, Any] = {}
    for size, r in out["sizes"].items():
        rate = size / statistics.median(r["seconds"])
        key = "eval" if size == 240 else "large" if size == max(sizes) else f"n{size}"
        details[f"{key}_cases_per_s"] = round(rate, 2)
        details[f"{key}_s"] = round(statistics.median(r["seconds"]), 4)
        print(f"{args.tool} {size} cases: {rate:,.0f} cases/s {r['seconds']}", file=sys.stderr)
    headline = max(sizes)
    c.emit(
        "eval_classic",
        args.tool,
        "cases_per_s",
        details["large_cases_per_s" if headline != 240 else "eval_cases_per_s"],
        "cases/s",
        headline_cases=headline,
        **details,
        repeat=args.repeat,
        loadavg_start=loadavg_start,
        loadavg_end=list(os.getloadavg()),
        **out["info"],
        sizes={str(k): v for k, v in out["sizes"].items()},
    )


if __name__ == "__main__":
    main()
