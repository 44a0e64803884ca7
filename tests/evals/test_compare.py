"""Comparing two evaluations: alignment, wins and losses, deltas with intervals, the verdict."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from sklearn.metrics import f1_score

from shipyard.core.errors import InvalidInput
from shipyard.evals.compare import compare
from shipyard.evals.results import CaseResult, EvaluationResult
from shipyard.evals.stats import mcnemar

LABELS = ("negative", "positive", "neutral")
DATA = "dataset:sentiment-eval@1"


def evaluation(
    run_id: str,
    correct: Sequence[bool],
    *,
    latency: Sequence[float] | None = None,
    data: str = DATA,
    scorers: tuple[str, ...] = ("accuracy", "f1"),
    indices: Sequence[int] | None = None,
) -> EvaluationResult:
    """A classification evaluation whose case ``i`` is right when ``correct[i]``."""
    latency = latency if latency is not None else [10.0 + i % 7 for i in range(len(correct))]
    cases = []
    for position, (ok, ms) in enumerate(zip(correct, latency, strict=True)):
        index = indices[position] if indices is not None else position
        expected = LABELS[index % 3]
        output = expected if ok else LABELS[(index + 1) % 3]
        cases.append(
            CaseResult(
                index=index,
                inputs={"text": f"text {index}"},
                expected=expected,
                output=output,
                latency_ms=ms,
                cost_usd=ms * 1e-6,
                scores={"correct": 1.0 if ok else 0.0},
            )
        )
    return EvaluationResult(
        run_id=run_id,
        target=f"prompt:sentiment@{run_id}",
        data=data,
        scorers=scorers,
        metrics=metrics(cases),
        cases=tuple(cases),
    )


def metrics(cases: Sequence[CaseResult]) -> dict[str, float]:
    truth = [c.expected for c in cases]
    predicted = [c.output for c in cases]
    latencies = np.array([c.latency_ms for c in cases])
    cost = sum(c.cost_usd for c in cases)
    return {
        "cases": float(len(cases)),
        "accuracy": float(np.mean([c.scores["correct"] for c in cases])),
        "f1": float(f1_score(truth, predicted, average="macro")),
        "p50_latency_ms": float(np.percentile(latencies, 50)),
        "p95_latency_ms": float(np.percentile(latencies, 95)),
        "cost_usd": cost,
        "cost_per_1k_usd": cost / len(cases) * 1000,
        "errors": 0.0,
        "error_rate": 0.0,
    }


def aggregate(cases: Sequence[CaseResult]) -> dict[str, float]:
    return metrics(cases)


def pattern(n: int, right: int, seed: int = 0) -> list[bool]:
    flags = [i < right for i in range(n)]
    order = np.random.default_rng(seed).permutation(n)
    return [flags[i] for i in order]


def test_a_clearly_better_candidate_is_significantly_better() -> None:
    base = pattern(200, 110)
    cand = [b or i % 2 == 0 for i, b in enumerate(base)]  # fixes about half of the mistakes
    baseline, candidate = evaluation("base", base), evaluation("cand", cand)
    result = compare(baseline, candidate)
    fixed = sum(c and not b for b, c in zip(base, cand, strict=True))
    assert result.metric == "accuracy"
    assert result.per_case_score == "correct"
    assert (result.wins, result.losses, result.ties) == (fixed, 0, 200 - fixed)
    assert result.cases == 200
    assert result.test.method == "mcnemar chi-square"
    assert result.test == mcnemar(base, cand)
    assert result.test.p_value < 1e-6
    assert result.delta == pytest.approx(fixed / 200)
    assert result.verdict == "significantly_better"


def test_identical_evaluations_are_inconclusive() -> None:
    flags = pattern(120, 80)
    result = compare(evaluation("a", flags), evaluation("b", flags))
    assert (result.wins, result.losses, result.ties) == (0, 0, 120)
    assert result.test.p_value == 1.0
    assert result.verdict == "inconclusive"
    accuracy = next(d for d in result.deltas if d.name == "accuracy")
    assert (accuracy.delta, accuracy.low, accuracy.high) == (0.0, 0.0, 0.0)


def test_a_clearly_worse_candidate_is_significantly_worse() -> None:
    good = pattern(150, 130, seed=1)
    worse = [g and i % 3 != 0 for i, g in enumerate(good)]
    result = compare(evaluation("good", good), evaluation("worse", worse))
    assert result.losses > 0 and result.wins == 0
    assert result.verdict == "significantly_worse"


def test_a_small_difference_is_inconclusive_with_the_exact_test() -> None:
    base = pattern(60, 40, seed=2)
    cand = list(base)
    flips = [i for i, ok in enumerate(base) if not ok][:3]
    for i in flips:
        cand[i] = True
    result = compare(evaluation("a", base), evaluation("b", cand))
    assert result.test.method == "mcnemar exact"
    assert result.test.p_value == pytest.approx(0.25)  # 2 * P(Bin(3, 1/2) <= 0)
    assert result.wins == 3
    assert result.verdict == "inconclusive"
    assert compare(evaluation("a", base), evaluation("b", cand), level=0.3).verdict == (
        "significantly_better"
    )


def test_mismatched_data_or_cases_are_refused_with_a_clear_message() -> None:
    flags = pattern(30, 20)
    with pytest.raises(InvalidInput, match="same dataset version"):
        compare(evaluation("a", flags), evaluation("b", flags, data="dataset:sentiment-eval@2"))
    fewer = evaluation("b", flags[:25])
    with pytest.raises(InvalidInput, match=r"only in the baseline: 25, 26, 27, 28, 29"):
        compare(evaluation("a", flags), fewer)
    shifted = evaluation("b", flags, indices=[i + 100 for i in range(30)])
    with pytest.raises(InvalidInput, match="and 25 more"):
        compare(evaluation("a", flags), shifted)
    empty = EvaluationResult("e", "prompt:x@1", DATA, ("accuracy",), {"accuracy": 0.5})
    with pytest.raises(InvalidInput, match="no stored cases"):
        compare(empty, evaluation("b", flags))
    with pytest.raises(InvalidInput, match="level"):
        compare(evaluation("a", flags), evaluation("b", flags), level=5)


def test_cases_are_aligned_by_index_not_by_position() -> None:
    base = evaluation("a", pattern(40, 20))
    cand = evaluation("b", pattern(40, 30, seed=3))
    reversed_cand = EvaluationResult(
        cand.run_id, cand.target, cand.data, cand.scorers, cand.metrics, cand.cases[::-1]
    )
    assert compare(base, reversed_cand).to_dict() == compare(base, cand).to_dict()


def test_deltas_carry_bootstrap_intervals_for_per_case_and_operational_metrics() -> None:
    base = pattern(200, 120)
    cand = [b or i % 2 == 0 for i, b in enumerate(base)]
    slow = [100.0 + (i * 37) % 50 for i in range(200)]
    fast = [s * 0.5 for s in slow]
    result = compare(evaluation("a", base, latency=slow), evaluation("b", cand, latency=fast))
    by_name = {d.name: d for d in result.deltas}
    assert result.deltas[0].name == "accuracy"  # the primary metric first
    assert "cases" not in by_name
    accuracy = by_name["accuracy"]
    assert accuracy.low is not None and accuracy.high is not None
    assert 0 < accuracy.low < accuracy.delta < accuracy.high
    assert accuracy.method == "paired bootstrap of per-case correct"
    p95 = by_name["p95_latency_ms"]
    assert p95.delta == pytest.approx(np.percentile(fast, 95) - np.percentile(slow, 95))
    assert p95.higher_is_better is False
    assert p95.low is not None and p95.high is not None and p95.low <= p95.delta <= p95.high < 0
    cost = by_name["cost_per_1k_usd"]
    assert cost.high is not None and cost.high < 0
    f1 = by_name["f1"]  # an aggregate: no interval without metric_fn
    assert (f1.low, f1.high) == (None, None)
    assert "metric_fn" in f1.method


def test_metric_fn_gives_aggregate_metrics_an_interval() -> None:
    base = pattern(150, 90, seed=4)
    cand = [b or i % 3 == 0 for i, b in enumerate(base)]
    result = compare(
        evaluation("a", base),
        evaluation("b", cand),
        metric="f1",
        metric_fn=aggregate,
        metric_fn_resamples=120,
    )
    f1 = next(d for d in result.deltas if d.name == "f1")
    assert result.deltas[0] is f1
    assert f1.method == "paired bootstrap, recomputed by metric_fn"
    assert f1.low is not None and f1.high is not None
    assert 0 < f1.low < f1.delta < f1.high
    # f1 has no per-case score: its paired test runs on correctness
    assert result.per_case_score == "correct"
    assert result.verdict == "significantly_better"


def test_a_continuous_per_case_score_uses_the_permutation_test() -> None:
    rng = np.random.default_rng(6)
    base_scores = rng.uniform(0.2, 0.8, size=80)
    cand_scores = np.clip(base_scores + rng.normal(0.15, 0.05, size=80), 0, 1)

    def rouge(run_id: str, values: np.ndarray) -> EvaluationResult:
        cases = tuple(
            CaseResult(index=i, inputs={"q": i}, expected="x", output="y", scores={"rouge_l": v})
            for i, v in enumerate(values)
        )
        scorers = ("confusion_matrix", "rouge_l:name=rouge_l")  # specs, as the runner stores them
        return EvaluationResult(
            run_id, "app:x", DATA, scorers, {"rouge_l": float(values.mean())}, cases
        )

    result = compare(rouge("a", base_scores), rouge("b", cand_scores))
    assert result.metric == result.per_case_score == "rouge_l"
    assert result.test.method == "sign-flip permutation monte carlo"
    assert result.verdict == "significantly_better"
    assert result.wins == int(np.sum(cand_scores > base_scores))
    reverse = compare(rouge("b", cand_scores), rouge("a", base_scores))
    assert reverse.verdict == "significantly_worse"


def test_a_lower_is_better_primary_metric_counts_faster_cases_as_wins() -> None:
    flags = pattern(100, 70)
    slow = [50.0 + i % 13 for i in range(100)]
    fast = [s - 5 for s in slow]
    result = compare(
        evaluation("a", flags, latency=slow),
        evaluation("b", flags, latency=fast),
        metric="p95_latency_ms",
    )
    assert result.per_case_score == "latency_ms"
    assert result.wins == 100
    assert result.delta == pytest.approx(-5)
    assert result.verdict == "significantly_better"


def test_an_unknown_primary_metric_is_refused() -> None:
    flags = pattern(20, 10)
    with pytest.raises(InvalidInput, match="'bleu' is in neither evaluation; they have accuracy"):
        compare(evaluation("a", flags), evaluation("b", flags), metric="bleu")
    # a metric both have but with no per-case number behind it
    base, cand = evaluation("a", flags), evaluation("b", flags)
    plain = [
        EvaluationResult(
            r.run_id,
            r.target,
            r.data,
            ("bleu",),
            {**r.metrics, "bleu": 0.3},
            tuple(CaseResult(c.index, c.inputs, c.expected, c.output) for c in r.cases),
        )
        for r in (base, cand)
    ]
    with pytest.raises(InvalidInput, match="no per-case score"):
        compare(*plain)


def test_comparison_to_dict_is_json_and_seeded() -> None:
    base, cand = evaluation("a", pattern(50, 30)), evaluation("b", pattern(50, 35, seed=9))
    data = compare(base, cand).to_dict()
    text = json.dumps(data, allow_nan=False)
    again = json.loads(text)
    assert again["verdict"] in ("significantly_better", "significantly_worse", "inconclusive")
    assert again["baseline_run"] == "a" and again["candidate_run"] == "b"
    assert again["test"]["method"].startswith("mcnemar")
    assert len(again["outcomes"]) == 50
    assert {o["outcome"] for o in again["outcomes"]} <= {"win", "loss", "tie"}
    assert compare(base, cand).to_dict() == data


def test_regression_compares_absolute_errors_and_failed_cases_count_as_wrong() -> None:
    truth = np.linspace(0, 10, 60)

    def regression(run_id: str, noise: float, failed: Sequence[int] = ()) -> EvaluationResult:
        rng = np.random.default_rng(int(noise * 100))
        outputs = truth + rng.normal(0, noise, size=60)
        cases = tuple(
            CaseResult(
                index=i,
                inputs={"x": i},
                expected=float(t),
                output=None if i in failed else float(o),
                error="boom" if i in failed else None,
            )
            for i, (t, o) in enumerate(zip(truth, outputs, strict=True))
        )
        mae = float(np.mean([abs(c.output - c.expected) for c in cases if c.ok]))
        return EvaluationResult(run_id, "model:m@1", DATA, ("mae",), {"mae": mae}, cases)

    result = compare(regression("a", 2.0), regression("b", 0.5))
    assert result.per_case_score == "absolute_error"
    assert result.test.method.startswith("sign-flip permutation")
    assert result.verdict == "significantly_better"
    mae = result.deltas[0]
    assert mae.name == "mae" and mae.higher_is_better is False and mae.delta < 0

    flags = pattern(40, 40)
    ok = evaluation("a", flags)
    broken = [
        CaseResult(c.index, c.inputs, c.expected, None, error="timeout") if c.index < 5 else c
        for c in evaluation("b", flags).cases
    ]
    failing = EvaluationResult("b", "app:x", DATA, ("accuracy",), ok.metrics, tuple(broken))
    lost = compare(ok, failing)
    assert (lost.wins, lost.losses, lost.ties) == (0, 5, 35)
