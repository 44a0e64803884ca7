"""Classification, ROC AUC, regression and always-on aggregates against scikit-learn and numpy."""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as sk

from shipyard.evals.results import CaseResult
from shipyard.evals.scorers import ALWAYS_ON, aggregate_metrics, score_cases
from shipyard.evals.scorers.roc import _rank_sum, area

CLASSIFICATION = ["accuracy", "precision", "recall", "f1"]
FAILED = "<failed>"  # what a failed case predicts, for scikit-learn: a label outside labels=


def case(i: int, output: Any, expected: Any, **kw: Any) -> CaseResult:
    return CaseResult(index=i, inputs={"text": f"t{i}"}, expected=expected, output=output, **kw)


def labelled(n: int, seed: int, classes: list[str], right: float = 0.7) -> list[CaseResult]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        truth = rng.choice(classes)
        guess = truth if rng.random() < right else rng.choice(classes)
        out.append(case(i, guess, truth))
    return out


def check_against_sklearn(cases: list[CaseResult], metrics: dict[str, float]) -> None:
    y_true = [str(c.expected) for c in cases]
    y_pred = [str(c.output).strip() if c.ok and c.output is not None else FAILED for c in cases]
    labels = sorted(set(y_true) | {p for p in y_pred if p != FAILED})
    p, r, f, _ = sk.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    assert metrics["accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred))
    assert metrics["f1"] == pytest.approx(
        sk.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    )
    assert metrics["precision"] == pytest.approx(p.mean())
    assert metrics["recall"] == pytest.approx(r.mean())
    for i, label in enumerate(labels):
        assert metrics[f"precision[{label}]"] == pytest.approx(p[i])
        assert metrics[f"recall[{label}]"] == pytest.approx(r[i])
        assert metrics[f"f1[{label}]"] == pytest.approx(f[i])
    assert not any(k.startswith("accuracy[") for k in metrics)


def test_classification_matches_scikit_learn() -> None:
    cases = labelled(300, 1, ["negative", "neutral", "positive"])
    scored, metrics, details = score_cases(cases, CLASSIFICATION)
    check_against_sklearn(cases, metrics)
    y_true = [c.expected for c in cases]
    y_pred = [c.output for c in cases]
    assert metrics["f1"] == pytest.approx(sk.f1_score(y_true, y_pred, average="macro"))
    labels = ["negative", "neutral", "positive"]
    assert details["confusion_matrix"]["labels"] == labels
    assert (
        details["confusion_matrix"]["matrix"]
        == sk.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    )
    assert details["confusion_matrix"]["failed"] == [0, 0, 0]
    assert [c.scores["correct"] for c in scored] == [float(t == p) for t, p in zip(y_true, y_pred)]


def test_a_label_only_the_target_answered_is_a_class_with_zero_precision() -> None:
    cases = [
        case(0, "pos", "pos"),
        case(1, "Positive!", "pos"),  # an LLM off script
        case(2, "neg", "neg"),
        case(3, "pos", "neg"),
    ]
    _, metrics, details = score_cases(cases, CLASSIFICATION)
    check_against_sklearn(cases, metrics)
    assert metrics["precision[Positive!]"] == 0.0 and metrics["recall[Positive!]"] == 0.0
    assert details["confusion_matrix"]["labels"] == ["Positive!", "neg", "pos"]


def test_failed_cases_count_as_wrong_predictions() -> None:
    cases = labelled(60, 2, ["a", "b", "c"])
    cases[3] = case(3, None, cases[3].expected, error="ValueError: boom")
    cases[10] = case(10, None, cases[10].expected, error="timeout")
    cases[11] = case(11, None, cases[11].expected)  # answered nothing
    scored, metrics, details = score_cases(cases, [*CLASSIFICATION, "confusion_matrix"])
    check_against_sklearn(cases, metrics)  # scikit-learn with a prediction outside labels=
    ok = [c for c in cases if c.output is not None]
    assert metrics["accuracy"] == pytest.approx(
        sum(c.output == c.expected for c in ok) / len(cases)
    )
    failed = details["confusion_matrix"]["failed"]
    assert sum(failed) == 3
    assert sum(map(sum, details["confusion_matrix"]["matrix"])) == len(cases) - 3
    assert [scored[i].scores["correct"] for i in (3, 10, 11)] == [0.0, 0.0, 0.0]
    assert metrics["errors"] == 2.0


def test_labels_are_compared_as_text() -> None:
    cases = [case(0, "1", 1), case(1, 0, "0"), case(2, 1.0, 1), case(3, " 0 ", 1), case(4, 1, None)]
    scored, metrics, details = score_cases(cases, ["accuracy", "f1"])
    assert metrics["accuracy"] == 0.75  # the case without an expected label is left out
    assert details["confusion_matrix"] == {
        "labels": ["0", "1"],
        "matrix": [[1, 0], [1, 2]],
        "failed": [0, 0],
    }
    assert [c.scores["correct"] for c in scored] == [1.0, 1.0, 1.0, 0.0, None]
    _, metrics, details = score_cases([case(0, "a", None)], ["accuracy", "f1"])
    assert "accuracy" not in metrics and "f1" not in metrics
    assert details["accuracy"] == {"skipped": "no case has an expected label"}


# --- ROC AUC ------------------------------------------------------------------------------


def test_binary_roc_auc_matches_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(3)
    y = rng.choice(["no", "yes"], 200)
    p_yes = np.round(np.where(y == "yes", rng.beta(3, 2, 200), rng.beta(2, 3, 200)), 1)  # ties
    cases = [
        case(i, "yes" if s > 0.5 else "no", t, proba={"no": 1 - s, "yes": s})
        for i, (t, s) in enumerate(zip(y, p_yes))
    ]
    _, metrics, details = score_cases(cases, ["roc_auc"])
    assert metrics["roc_auc"] == pytest.approx(sk.roc_auc_score(y == "yes", p_yes))
    assert details["roc_auc"] == {"cases": 200, "excluded": 0, "positive": "yes"}
    # only the negative class's score given: the positive one is its complement
    only_no = [
        case(i, c.output, c.expected, proba={"no": c.proba["no"]}) for i, c in enumerate(cases)
    ]
    assert score_cases(only_no, ["roc_auc"])[1]["roc_auc"] == pytest.approx(metrics["roc_auc"])


def test_multiclass_roc_auc_is_macro_one_vs_rest_like_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    classes = ["negative", "neutral", "positive"]
    y = rng.choice(classes, 150)
    raw = rng.random((150, 3)) + np.eye(3)[[classes.index(t) for t in y]] * 0.6
    proba = raw / raw.sum(axis=1, keepdims=True)
    cases = [
        case(i, classes[int(np.argmax(p))], t, proba=dict(zip(classes, map(float, p))))
        for i, (t, p) in enumerate(zip(y, proba))
    ]
    cases.append(case(150, None, "neutral", error="boom", proba={"neutral": 1.0}))
    cases.append(case(151, "neutral", "neutral"))  # no proba
    _, metrics, details = score_cases(cases, ["roc_auc"])
    want = sk.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
    assert metrics["roc_auc"] == pytest.approx(want)
    assert details["roc_auc"]["excluded"] == 2 and details["roc_auc"]["cases"] == 150


def test_roc_auc_is_absent_with_a_reason_when_it_cannot_be_computed() -> None:
    no_proba = [case(0, "a", "a"), case(1, "b", "b")]
    _, metrics, details = score_cases(no_proba, ["roc_auc"])
    assert "roc_auc" not in metrics
    assert details["roc_auc"]["skipped"] == "no case has class scores (proba)"
    one_class = [case(i, "a", "a", proba={"a": 0.9, "b": 0.1}) for i in range(3)]
    _, metrics, details = score_cases(one_class, ["roc_auc"])
    assert (
        "roc_auc" not in metrics and details["roc_auc"]["skipped"] == "every expected label is 'a'"
    )
    bad = [case(0, "a", "a", proba={"a": float("nan")}), case(1, "b", "b", proba={"b": "high"})]
    assert "roc_auc" not in score_cases(bad, ["roc_auc"])[1]


def test_the_pure_python_ranks_agree_with_numpy() -> None:
    rng = random.Random(5)
    scores = [rng.choice([0.1, 0.2, 0.2, 0.5, 0.9]) for _ in range(100)]
    positive = [rng.random() < 0.4 for _ in range(100)]
    from scipy.stats import rankdata

    assert _rank_sum(positive, scores) == pytest.approx(rankdata(scores)[positive].sum())
    assert area(positive, scores) == pytest.approx(sk.roc_auc_score(positive, scores))
    assert area([True, True], [0.1, 0.2]) is None


# --- regression ---------------------------------------------------------------------------


def test_regression_matches_scikit_learn() -> None:
    rng = np.random.default_rng(6)
    y = rng.normal(10, 3, 120)
    pred = y + rng.normal(0, 1, 120)
    cases = [case(i, f"{p:.6f}", float(t)) for i, (t, p) in enumerate(zip(y, pred))]
    cases.append(case(120, None, 5.0, error="boom"))
    cases.append(case(121, "no idea", 5.0))
    cases.append(case(122, "3", None))
    _, metrics, details = score_cases(cases, ["mae", "rmse", "r2"])
    pred6 = np.round(pred, 6)
    assert metrics["mae"] == pytest.approx(sk.mean_absolute_error(y, pred6))
    assert metrics["rmse"] == pytest.approx(np.sqrt(sk.mean_squared_error(y, pred6)))
    assert metrics["r2"] == pytest.approx(sk.r2_score(y, pred6))
    assert details["mae"] == {"cases": 120, "excluded": 2}


def test_r2_with_a_constant_truth_follows_scikit_learn() -> None:
    exact = [case(i, 2.0, 2.0) for i in range(3)]
    off = [case(0, 2.0, 2.0), case(1, 3.0, 2.0)]
    assert score_cases(exact, ["r2"])[1]["r2"] == sk.r2_score([2.0] * 3, [2.0] * 3) == 1.0
    assert score_cases(off, ["r2"])[1]["r2"] == sk.r2_score([2.0, 2.0], [2.0, 3.0]) == 0.0
    _, metrics, details = score_cases([case(0, "x", 1.0)], ["mae", "rmse"])
    assert "mae" not in metrics and details["rmse"]["excluded"] == 1


# --- always on ----------------------------------------------------------------------------


def test_always_on_metrics_latency_cost_tokens_errors() -> None:
    rng = np.random.default_rng(7)
    latency = rng.gamma(2.0, 40.0, 57)
    cases = [
        case(
            i,
            "a",
            "a",
            latency_ms=float(latency[i]),
            cost_usd=0.0002 * (i % 3),
            prompt_tokens=10 + i,
            completion_tokens=2,
            error="boom" if i % 10 == 0 else None,
        )
        for i in range(57)
    ]
    _, metrics, _ = score_cases(cases, [])
    assert set(metrics) == set(ALWAYS_ON)
    assert metrics["cases"] == 57 and metrics["errors"] == 6
    assert metrics["error_rate"] == pytest.approx(6 / 57)
    assert metrics["p50_latency_ms"] == pytest.approx(np.percentile(latency, 50))
    assert metrics["p95_latency_ms"] == pytest.approx(np.percentile(latency, 95))
    cost = sum(0.0002 * (i % 3) for i in range(57))
    assert metrics["cost_usd"] == pytest.approx(cost)
    assert metrics["cost_per_1k_usd"] == pytest.approx(cost / 57 * 1000)
    assert metrics["prompt_tokens"] == sum(10 + i for i in range(57))
    assert metrics["completion_tokens"] == 114


def test_one_case_and_no_cases() -> None:
    _, one, _ = score_cases([case(0, "a", "a", latency_ms=12.5)], ["accuracy"])
    assert one["p50_latency_ms"] == one["p95_latency_ms"] == 12.5
    scored, none, details = score_cases([], ["accuracy", "exact_match"])
    assert scored == [] and none["cases"] == 0 and none["error_rate"] == 0.0
    assert none["cost_per_1k_usd"] == 0.0 and "p50_latency_ms" not in none
    assert "accuracy" not in none and details["exact_match"]["skipped"]


# --- the fast path for resampling ---------------------------------------------------------


def test_aggregate_metrics_recomputes_quality_on_resampled_cases_quickly() -> None:
    rng = random.Random(8)
    classes = ["negative", "neutral", "positive"]
    cases = []
    for i, c in enumerate(labelled(300, 9, classes)):
        raw = [rng.random() for _ in classes]
        proba = {k: v / sum(raw) for k, v in zip(classes, raw)}
        error = "boom" if i % 40 == 0 else None
        cases.append(case(i, None if error else c.output, c.expected, proba=proba, error=error))
    specs = ["accuracy", "f1", "precision", "recall", "roc_auc", "exact_match"]
    scored, full, _ = score_cases(cases, specs)
    assert aggregate_metrics(scored, specs) == {k: v for k, v in full.items() if k not in ALWAYS_ON}
    samples = [[scored[rng.randrange(300)] for _ in range(300)] for _ in range(200)]
    for sample in samples[:5]:  # the same numbers as scoring the resample from scratch
        fresh = score_cases(
            [case(c.index, c.output, c.expected, proba=c.proba, error=c.error) for c in sample],
            specs,
        )[1]
        fast = aggregate_metrics(sample, specs)
        assert fast == pytest.approx({k: v for k, v in fresh.items() if k in fast})
    started = time.perf_counter()
    for sample in samples:
        aggregate_metrics(sample, ["accuracy", "f1"])
    per_call_ms = (time.perf_counter() - started) / len(samples) * 1000
    assert per_call_ms < 5, per_call_ms  # ~0.15 ms on a quiet core
