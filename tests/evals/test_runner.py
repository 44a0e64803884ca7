"""``evaluate``: one tracked run with lineage, per-case results, stored and loaded back exactly."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

import shipyard as sy
from shipyard.assets.aliases import move_alias
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.evals.api import (
    create_dataset,
    evaluate,
    latest_evaluation,
    list_evaluations,
    load_cases,
    load_evaluation,
)
from shipyard.evals.results import EvaluationResult
from shipyard.evals.targets import parse_target
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import current_workspace


def _edges(run_id: str) -> set[tuple[str, str]]:
    ws = current_workspace()
    return {(e.relation, e.version) for e in ws.store.lineage.edges(runs=[run_id])}


def test_a_model_evaluation_is_a_run_with_lineage(
    credit_model: AssetVersion, credit_eval: AssetVersion
) -> None:
    move_alias("model:credit@1", "production")
    result = evaluate(
        "model:credit@production", "dataset:credit-eval", ["accuracy", "f1"], progress=False
    )
    assert (result.target, result.data, result.model) == (
        "model:credit@1",
        "dataset:credit-eval@1",
        None,
    )
    assert result.scorers == ("accuracy", "f1")
    _, cases = load_cases(credit_eval.ref)
    assert [c.expected for c in result.cases] == [c.expected for c in cases]
    truth = [c.expected for c in result.cases]
    predicted = [c.output for c in result.cases]
    assert result.metrics["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    assert result.metrics["f1"] == pytest.approx(f1_score(truth, predicted, average="macro"))
    assert result.metrics["cases"] == 200 and result.metrics["errors"] == 0
    assert 0.8 < result.metrics["accuracy"] < 1.0
    assert result.details["confusion_matrix"]["labels"] == ["no", "yes"]
    assert all(c.proba is not None and set(c.proba) == {"no", "yes"} for c in result.cases)

    run = sy.get_run(result.run_id)
    assert run.status == "finished" and run.experiment == "evals"
    assert run.tags["shipyard.kind"] == "evaluation"
    assert run.tags["shipyard.target"] == "model:credit@1"
    assert run.tags["shipyard.data"] == "dataset:credit-eval@1"
    assert run.params["target_spec"] == "model:credit@production"
    assert run.params["scorers"] == "accuracy, f1" and run.params["cases"] == 200
    assert run.metrics["accuracy"] == result.metrics["accuracy"]
    assert _edges(run.id) == {("consumed", "dataset:credit-eval@1"), ("consumed", "model:credit@1")}

    loaded = load_evaluation(result.run_id[:8])
    assert loaded == result


def test_parallel_gives_the_same_results(
    credit_model: AssetVersion, credit_eval: AssetVersion, tmp_path: Path
) -> None:
    def without_timing(result: EvaluationResult) -> tuple[object, ...]:
        # probabilities agree to the last bits only within one batch size (BLAS blocking)
        cases = tuple(replace(c, latency_ms=0.0, proba=None) for c in result.cases)
        timing = ("p50_latency_ms", "p95_latency_ms")
        metrics = {k: v for k, v in result.metrics.items() if k not in timing}
        return cases, metrics, result.details

    one = evaluate("model:credit@1", credit_eval.ref, ["accuracy"], parallel=1, progress=False)
    eight = evaluate(
        "model:credit@1",
        credit_eval.ref,
        ["accuracy"],
        parallel=8,
        target_options={"batch_size": 7},
        progress=False,
    )
    assert without_timing(one) == without_timing(eight)
    for a, b in zip(one.cases, eight.cases, strict=True):
        assert a.proba == pytest.approx(b.proba, rel=1e-9, abs=1e-12)
    (tmp_path / "slowapp.py").write_text(
        "import time\ndef f(income, age):\n    time.sleep(0.001)\n    return 'yes' if income > 50 else 'no'\n",
        encoding="utf-8",
    )
    a = evaluate("slowapp:f", credit_eval.ref, ["accuracy"], parallel=1, progress=False)
    b = evaluate("slowapp:f", credit_eval.ref, ["accuracy"], parallel=6, progress=False)
    assert without_timing(a) == without_timing(b)
    assert a.metrics["accuracy"] == 0.95


FLAKY = """
def answer(income, age):
    if age % 3 == 0:
        raise ValueError(f"age {age} is a multiple of three\\nmore detail")
    return "yes" if income > 50 else "no"
"""


def test_a_target_that_raises_on_some_cases(credit_eval: AssetVersion, tmp_path: Path) -> None:
    (tmp_path / "flaky.py").write_text(textwrap.dedent(FLAKY), encoding="utf-8")
    result = evaluate("flaky:answer", credit_eval.ref, ["accuracy"], progress=False)
    failed = [c for c in result.cases if c.error is not None]
    assert failed and len(failed) < len(result.cases)
    for case in failed:
        assert case.inputs["age"] % 3 == 0 and case.output is None
        assert case.error == f"ValueError: age {case.inputs['age']} is a multiple of three"
    assert result.metrics["errors"] == len(failed)
    assert result.metrics["error_rate"] == pytest.approx(len(failed) / 200)
    right = sum(c.output == c.expected for c in result.cases if c.error is None)
    assert result.metrics["accuracy"] == pytest.approx(right / 200)  # a failure counts as wrong
    assert sy.get_run(result.run_id).status == "finished"
    assert load_evaluation(result.run_id) == result


def test_everything_is_checked_before_a_run_starts(
    credit_model: AssetVersion, credit_eval: AssetVersion
) -> None:
    sy.datasets.register(_plain(), "plain")
    sy.prompts.create("p", "{{ text }}")
    bad = [
        (("model:credit@1", credit_eval.ref, ["acuracy"]), {}, "acuracy"),
        (("model:credit@1", "dataset:plain@1", ["accuracy"]), {}, "has no column 'expected'"),
        (("model:credit@9", credit_eval.ref, ["accuracy"]), {}, "credit"),
        (("prompt:p@1", credit_eval.ref, []), {}, "names no model"),
        (("prompt:p@1", credit_eval.ref, []), {"model": "echo/echo"}, "'text'"),
        (("model:credit@1", "dataset:nope@1", []), {}, "nope"),
        (("model:credit@1", credit_eval.ref, []), {"parallel": 0}, "parallel"),
    ]
    for args, kwargs, message in bad:
        with pytest.raises((InvalidInput, NotFound), match=message):
            evaluate(*args, progress=False, **kwargs)  # type: ignore[arg-type]
    assert sy.search_runs().runs == []


def _plain() -> object:
    import pandas as pd

    return pd.DataFrame({"income": [1.0], "age": [3], "label": ["no"]})


def test_ctrl_c_ends_the_run_killed_with_nothing_stored(
    credit_eval: AssetVersion, tmp_path: Path
) -> None:
    (tmp_path / "interrupted.py").write_text(
        "def f(income, age):\n    if age == 44:\n        raise KeyboardInterrupt\n    return 'no'\n",
        encoding="utf-8",
    )
    _, cases = load_cases(credit_eval.ref)
    assert any(c.inputs["age"] == 44 for c in cases)
    with pytest.raises(KeyboardInterrupt):
        evaluate("interrupted:f", credit_eval.ref, ["accuracy"], progress=False)
    (run,) = sy.search_runs().runs
    assert run.status == "killed"
    assert current_workspace().store.artifacts.list(run.id) == []
    with pytest.raises(NotFound, match="holds no results"):
        load_evaluation(run.id)
    assert list_evaluations() == []


def test_prompt_evaluation_with_the_echo_model() -> None:
    sy.prompts.create("label", "{{ text }}")
    rows = [
        {"text": "positive, very", "expected": "positive"},
        {"text": "Negative", "expected": "negative"},
        {"text": "meh", "expected": "positive"},
        {"text": "negative!", "expected": "negative"},
    ]
    create_dataset("tiny", rows)
    result = evaluate(
        "prompt:label", "dataset:tiny", ["accuracy"], model="echo/echo", progress=False
    )
    assert result.target == "prompt:label@1" and result.model == "echo/echo"
    assert [c.output for c in result.cases] == ["positive", "negative", "meh", "negative"]
    assert result.metrics["accuracy"] == 0.75
    assert result.metrics["prompt_tokens"] == 5 and result.metrics["completion_tokens"] == 5
    assert all(c.metadata["trace_id"] for c in result.cases)
    run = sy.get_run(result.run_id)
    assert run.tags["shipyard.model"] == "echo/echo" and run.params["model"] == "echo/echo"
    assert _edges(run.id) == {("consumed", "dataset:tiny@1"), ("consumed", "prompt:label@1")}
    assert load_evaluation(run.id) == result
    target = parse_target("prompt:label@1", model="echo/echo")
    raw = evaluate(target, "dataset:tiny", ["exact_match"], labels=[], progress=False)
    assert [c.output for c in raw.cases] == ["positive, very", "Negative", "meh", "negative!"]
    assert raw.model == "echo/echo" and raw.metrics["exact_match"] == 0.25  # "Negative"
    assert sy.get_run(raw.run_id).tags["shipyard.model"] == "echo/echo"


def test_list_and_latest(
    credit_model: AssetVersion, credit_eval: AssetVersion, credit_data: Any
) -> None:
    other = LogisticRegression(C=0.001, max_iter=1000).fit(credit_data.frame, credit_data.labels)
    assert sy.models.register(other, "credit", sample_input=credit_data.frame.head(3)).version == 2
    first = evaluate("model:credit@1", credit_eval.ref, ["accuracy"], progress=False)
    second = evaluate("model:credit@2", credit_eval.ref, ["accuracy", "f1"], progress=False)
    third = evaluate("model:credit@1", credit_eval.ref, ["f1"], progress=False)
    everything = list_evaluations()
    assert [s.run_id for s in everything] == [third.run_id, second.run_id, first.run_id]
    assert everything[1].scorers == ("accuracy", "f1")
    assert everything[1].metrics["accuracy"] == second.metrics["accuracy"]
    assert [s.run_id for s in list_evaluations(target="model:credit")] == [
        third.run_id,
        second.run_id,
        first.run_id,
    ]
    assert [s.run_id for s in list_evaluations(target="model:credit@1")] == [
        third.run_id,
        first.run_id,
    ]
    assert [s.run_id for s in list_evaluations(data="dataset:credit-eval", limit=1)] == [
        third.run_id
    ]
    assert list_evaluations(target="model:credit@1", data="dataset:other") == []
    # the newest with every scorer asked for, for exactly these versions
    found = latest_evaluation("model:credit@1", credit_eval.ref, ["accuracy"])
    assert found is not None and found.run_id == first.run_id and found == first
    move_alias("model:credit@2", "production")
    found = latest_evaluation("model:credit@production", "dataset:credit-eval", ["f1"])
    assert found is not None and found.run_id == second.run_id
    assert latest_evaluation("model:credit@1", credit_eval.ref, ["r2"]) is None
    assert latest_evaluation("model:credit@1", credit_eval.ref, [], max_age_s=0.000001) is None
    with pytest.raises(InvalidInput, match="not an evaluation"):
        with sy.start_run() as other:
            pass
        load_evaluation(other.id)


def test_progress_bar_on_stderr_only_when_asked_or_on_a_terminal(
    credit_eval: AssetVersion, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "quiet.py").write_text("def f(income, age):\n    return 'no'\n", encoding="utf-8")
    evaluate("quiet:f", credit_eval.ref, [], progress=True)  # stderr is not a terminal here
    assert capsys.readouterr() == ("", "")
    evaluate("quiet:f", credit_eval.ref, [], progress="always")
    out, err = capsys.readouterr()
    assert out == "" and "evaluating quiet:f" in err
