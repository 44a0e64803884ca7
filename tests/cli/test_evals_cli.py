"""`shipyard eval run/list/show/compare` through the real entry point."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.cli.main import main
from shipyard.evals.cases import create_dataset


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 20, n).round(2)
    right = income > 50
    right[::10] = ~right[::10]
    return pd.DataFrame(
        {"income": income, "age": rng.integers(18, 80, n), "expected": np.where(right, "yes", "no")}
    )


@pytest.fixture
def credit() -> dict[str, str]:
    """``model:credit`` @1 (good) and @2 (learned the opposite), ``dataset:credit-eval@1``."""
    train = frame(200, 1)
    x, y = train[["income", "age"]], train["expected"].to_numpy()
    good = LogisticRegression(max_iter=1000).fit(x, y)
    bad = LogisticRegression(max_iter=1000).fit(x, np.where(y == "yes", "no", "yes"))
    sy.models.register(good, "credit", sample_input=x.head(3))
    sy.models.register(bad, "credit", sample_input=x.head(3))
    create_dataset("credit-eval", frame(60, 2))
    return {"good": "model:credit@1", "bad": "model:credit@2", "data": "dataset:credit-eval@1"}


def run_eval(capsys: Any, target: str, data: str, *extra: str) -> dict[str, Any]:
    code = main(["eval", "run", "--target", target, "--data", data, *extra, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result: dict[str, Any] = json.loads(captured.out)
    return result


def test_eval_run_prints_metrics_and_the_run_id(credit: dict[str, str], capsys: Any) -> None:
    args = ["--target", credit["good"], "--data", credit["data"], "--scorer", "accuracy"]
    assert main(["eval", "run", *args, "--scorer", "f1", "--name", "first"]) == 0
    captured = capsys.readouterr()
    (summary,) = sy.evals.list_evaluations()
    assert summary.name == "first" and summary.target == "model:credit@1"
    assert summary.run_id in captured.out
    for metric in ("accuracy", "f1", "f1[yes]", "p95_latency_ms", "cost_per_1k_usd"):
        assert metric in captured.out  # f1[yes] is not eaten as markup
    assert f"shipyard eval show {summary.run_id[:8]}" in captured.err

    result = run_eval(capsys, credit["bad"], credit["data"], "--scorer", "accuracy")
    assert result["target"] == "model:credit@2" and result["metrics"]["accuracy"] < 0.3
    assert result["details"]["confusion_matrix"]["labels"] == ["no", "yes"]


def test_the_issue_example_with_a_prompt(capsys: Any) -> None:
    """The command of issue 6, on the echo model instead of the slow local one."""
    sy.prompts.create("sentiment", "Review: {{ text }}\n{{ text }}")
    sy.prompts.create("sentiment", "{{ text }}")
    rows = [
        {"text": "positive and happy", "expected": "positive"},
        {"text": "negative, sadly", "expected": "negative"},
        {"text": "positive!", "expected": "negative"},
    ]
    create_dataset("sentiment-eval", rows)
    argv = "eval run --target prompt:sentiment@2 --model echo/echo --data dataset:sentiment-eval@1"
    assert main([*argv.split(), "--scorer", "accuracy", "--scorer", "f1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["target"], result["model"]) == ("prompt:sentiment@2", "echo/echo")
    assert result["metrics"]["accuracy"] == pytest.approx(2 / 3)
    assert main(["eval", "list", "--model", "echo/echo", "--json"]) == 0
    assert [e["target"] for e in json.loads(capsys.readouterr().out)] == ["prompt:sentiment@2"]


def test_eval_list_and_show(credit: dict[str, str], capsys: Any) -> None:
    good = run_eval(capsys, credit["good"], credit["data"], "--scorer", "accuracy")
    bad = run_eval(capsys, credit["bad"], credit["data"], "--scorer", "accuracy")
    assert main(["eval", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["run_id"] for e in listed] == [bad["run_id"], good["run_id"]]
    assert main(["eval", "list", "--target", "model:credit@1", "--json"]) == 0
    assert [e["run_id"] for e in json.loads(capsys.readouterr().out)] == [good["run_id"]]
    assert main(["eval", "list"]) == 0
    table = capsys.readouterr().out
    assert "model:credit@2" in table and "accuracy=" in table

    assert main(["eval", "show", bad["run_id"][:8], "--cases", "3", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    wrong = round((1 - bad["metrics"]["accuracy"]) * 60)
    assert shown["failing_cases"] == wrong and len(shown["cases_shown"]) == 3
    assert all(c["output"] != c["expected"] for c in shown["cases_shown"])
    assert main(["eval", "show", bad["run_id"], "--cases", "2"]) == 0
    out = capsys.readouterr().out
    assert "confusion matrix" in out and f"failing cases (2 of {wrong})" in out


def test_eval_compare_ends_in_a_verdict(credit: dict[str, str], capsys: Any) -> None:
    good = run_eval(
        capsys, credit["good"], credit["data"], "--scorer", "accuracy", "--scorer", "f1"
    )
    bad = run_eval(capsys, credit["bad"], credit["data"], "--scorer", "accuracy", "--scorer", "f1")
    assert main(["eval", "compare", good["run_id"], bad["run_id"], "--json"]) == 0
    comparison = json.loads(capsys.readouterr().out)
    assert comparison["verdict"] == "significantly_worse"
    assert comparison["metric"] == "accuracy" and comparison["losses"] > comparison["wins"]
    assert comparison["test"]["method"].lower().startswith("mcnemar")
    f1 = next(d for d in comparison["deltas"] if d["name"] == "f1")
    assert f1["low"] is not None and f1["high"] < 0  # an interval from recomputed F1
    assert main(["eval", "compare", bad["run_id"], good["run_id"], "--level", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "significantly better" in out and "wins" in out and "99% interval" in out


def test_eval_user_errors_exit_2(credit: dict[str, str], capsys: Any) -> None:
    base = ["eval", "run", "--target", credit["good"], "--data", credit["data"]]
    assert main([*base, "--scorer", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main([*base, "--scorer", "accuracy", "--expected", "label"]) == 2
    assert "label" in capsys.readouterr().err
    assert main(["eval", "show", "ffffffff"]) == 2
    assert sy.evals.list_evaluations() == []


def test_eval_report_puts_evaluations_side_by_side(credit: dict[str, str], capsys: Any) -> None:
    good = run_eval(capsys, credit["good"], credit["data"], "-s", "accuracy", "-s", "f1")
    bad = run_eval(capsys, credit["bad"], credit["data"], "-s", "accuracy", "-s", "f1")
    assert main(["eval", "report", good["run_id"][:8], bad["run_id"]]) == 0
    out = capsys.readouterr().out
    assert "dataset:credit-eval@1: 2 evaluations, verdicts on accuracy" in out
    assert "baseline" in out and "significantly worse" in out
    for column in ("accuracy", "f1", "p50 ms", "p95 ms", "$ / 1k", "errors"):
        assert column in out

    assert (
        main(["eval", "report", good["run_id"], bad["run_id"], "-b", bad["run_id"], "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["baseline"] == bad["run_id"] and report["quality"] == ["accuracy", "f1"]
    (row,) = [r for r in report["rows"] if not r["baseline"]]
    assert row["comparison"]["verdict"] == "significantly_better"

    create_dataset("other-eval", frame(30, 3))
    other = run_eval(capsys, credit["good"], "dataset:other-eval@1", "-s", "accuracy")
    for argv, message in [
        ([good["run_id"]], "between 2 and 10 evaluations"),
        ([good["run_id"], other["run_id"]], "2 different datasets"),
        ([good["run_id"], bad["run_id"], "-b", "zzz"], "baseline 'zzz' is not one of"),
    ]:
        assert main(["eval", "report", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
