"""HTTP targets for real: a shipyard model server under uvicorn, and a tiny JSON endpoint."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

import shipyard as sy
from shipyard.evals.api import create_dataset, evaluate, load_evaluation
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import current_workspace


def test_a_served_model_matches_the_registered_one(
    credit_model: AssetVersion, credit_eval: AssetVersion, model_server: Callable[..., Any]
) -> None:
    direct = evaluate("model:credit@1", credit_eval.ref, ["accuracy", "f1"], progress=False)
    with model_server("model:credit@1") as server:
        url = f"{server.url}/predict"
        served = evaluate(url, credit_eval.ref, ["accuracy", "f1"], parallel=4, progress=False)
        requests = server.metrics()
    assert served.target == url
    assert [c.output for c in served.cases] == [c.output for c in direct.cases]
    for a, b in zip(served.cases, direct.cases, strict=True):
        assert a.proba == pytest.approx(b.proba)
        assert a.error is None and a.latency_ms > 0 and a.metadata["served_version"] == 1
    assert served.metrics["accuracy"] == direct.metrics["accuracy"]
    # batched: a few requests of many rows, not one request a case
    sent = sum(v for k, v in requests.items() if k.startswith("shipyard_requests_total{"))
    rows = sum(v for k, v in requests.items() if k.startswith("shipyard_predicted_rows_total{"))
    assert 0 < sent <= 8 and rows == 200
    ws = current_workspace()
    edges = {(e.relation, e.version) for e in ws.store.lineage.edges(runs=[served.run_id])}
    assert edges == {("consumed", "dataset:credit-eval@1"), ("consumed", "model:credit@1")}
    assert load_evaluation(served.run_id) == served


def test_a_served_model_records_bad_rows_per_case(
    credit_model: AssetVersion, model_server: Callable[..., Any]
) -> None:
    rows = [
        {"income": 90.0, "age": 40, "expected": "yes"},
        {"income": None, "age": 40, "expected": "yes"},
        {"income": 10.0, "age": 40, "expected": "no"},
    ]
    create_dataset("mixed", rows)
    with model_server("model:credit@1") as server:
        result = evaluate(f"{server.url}/predict", "dataset:mixed", ["accuracy"], progress=False)
    assert [c.output for c in result.cases] == ["yes", None, "no"]
    error = result.cases[1].error
    assert (
        error is not None and error.startswith("HttpStatusError: HTTP 422: ") and "income" in error
    )


def _answer(body: dict[str, Any]) -> tuple[int, Any]:
    income, age = float(body["income"]), int(body["age"])
    if age == 30:
        time.sleep(3.0)
    if age % 7 == 0:
        return 500, {"error": {"type": "Failure", "message": f"age {age} broke it\nstack"}}
    label = "yes" if income > 50 else "no"
    if age % 2:
        return 200, {"output": label, "proba": {label: 0.9}, "cost_usd": 0.001, "server": "tiny"}
    return 200, label


def test_any_url_with_errors_and_timeouts_per_case(
    credit_eval: AssetVersion, json_server: Callable[..., Any]
) -> None:
    with json_server(_answer) as url:
        result = evaluate(
            url,
            credit_eval.ref,
            ["accuracy"],
            target_options={"timeout_s": 1.5},
            parallel=8,
            progress=False,
        )
    assert result.target == url
    for case in result.cases:
        age = case.inputs["age"]
        if age == 30:
            assert case.error is not None and case.error.startswith("ReadTimeout")
        elif age % 7 == 0:
            assert case.error == f"HttpStatusError: HTTP 500: age {age} broke it"
        else:
            assert case.error is None
            assert case.output == ("yes" if case.inputs["income"] > 50 else "no")
            if age % 2:
                assert case.proba == {case.output: 0.9} and case.cost_usd == 0.001
                assert case.metadata == {"source": "synthetic", "server": "tiny"}
            else:
                assert case.proba is None and case.cost_usd == 0.0
    assert any(c.inputs["age"] == 30 for c in result.cases)
    failed = sum(1 for c in result.cases if c.error)
    assert result.metrics["errors"] == failed > 0
    assert sy.get_run(result.run_id).status == "finished"


def test_a_text_answer_is_the_output(json_server: Callable[..., Any]) -> None:
    create_dataset("echo", [{"q": "a", "expected": "A"}, {"q": "b", "expected": "B"}])
    with json_server(lambda body: (200, str(body["q"]).upper())) as url:
        result = evaluate(url, "dataset:echo", ["exact_match"], progress=False)
    assert [c.output for c in result.cases] == ["A", "B"]
    assert result.metrics["exact_match"] == 1.0
