"""``/api/v1/evals``: list, one evaluation, its cases, comparisons and reports, as JSON."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from statsmodels.stats.contingency_tables import mcnemar

import shipyard as sy
from shipyard.evals.compare import compare
from shipyard.evals.comparison_metrics import correctness
from shipyard.evals.scorers import aggregate_metrics
from shipyard.server.app import create_app
from shipyard.workspace import Workspace, current_workspace


def _fixtures() -> Any:
    name = "_eval_fixtures_for_server_tests"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("eval_fixtures.py")
        )
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


F = _fixtures()


@pytest.fixture
def ws() -> Workspace:
    return current_workspace()


@pytest.fixture
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(ws)) as c:
        yield c


@pytest.fixture
def pair(ws: Workspace, tmp_path: Path) -> Any:
    return F.make_pair(ws, tmp_path)


def test_list_and_filter(client: TestClient, pair: Any) -> None:
    r = client.get("/api/v1/evals")
    assert r.status_code == 200, r.text
    listed = r.json()["evaluations"]
    assert [e["run_id"] for e in listed] == [pair.candidate.run_id, pair.baseline.run_id]
    first = listed[0]
    assert (first["target"], first["data"], first["model"]) == (
        "prompt:label@1",
        "dataset:reviews@1",
        "echo/echo",
    )
    assert first["scorers"] == ["accuracy", "f1"]
    assert first["metrics"]["accuracy"] == pytest.approx(pair.candidate.metrics["accuracy"])

    def ids(**query: str) -> list[str]:
        r = client.get("/api/v1/evals", params=query)
        assert r.status_code == 200, r.text
        return [e["run_id"] for e in r.json()["evaluations"]]

    assert ids(target="prompt:label") == [pair.candidate.run_id]
    assert ids(target="review_rules:classify") == [pair.baseline.run_id]
    assert ids(model="echo/echo") == [pair.candidate.run_id]
    assert ids(data="dataset:reviews@1", limit="1") == [pair.candidate.run_id]
    assert ids(data="dataset:other") == []
    bad = client.get("/api/v1/evals", params={"target": "prompt:label@nosuchalias"})
    assert bad.status_code == 404 and bad.json()["error"]["type"] == "NotFound"
    assert client.get("/api/v1/evals", params={"limit": "0"}).status_code == 422


def test_one_evaluation_without_its_cases(client: TestClient, pair: Any) -> None:
    cand = pair.candidate
    r = client.get(f"/api/v1/evals/{cand.run_id[:10]}")  # a prefix is enough
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["run_id"] == cand.run_id and body["status"] == "finished"
    assert body["experiment"] == "evals" and body["name"] == sy.get_run(cand.run_id).name
    assert body["metrics"] == pytest.approx(dict(cand.metrics))
    assert body["details"]["confusion_matrix"] == cand.details["confusion_matrix"]
    assert body["target_info"]["model"] == "echo/echo"
    assert sorted(body["target_info"]["labels"]) == ["negative", "neutral", "positive"]
    assert body["cases"] == 90 and "inputs" not in body
    assert body["case_counts"] == {"all": 90, "wrong": 9, "errors": 0}
    base = client.get(f"/api/v1/evals/{pair.baseline.run_id}").json()
    assert base["case_counts"]["errors"] == 6 and base["metrics"]["errors"] == 6


def test_unknown_and_non_evaluation_runs(client: TestClient, pair: Any, ws: Workspace) -> None:
    missing = client.get("/api/v1/evals/abcdef0123")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "NotFound"
    with sy.start_run(workspace=ws) as run:
        pass
    r = client.get(f"/api/v1/evals/{run.id}")
    assert r.status_code == 400 and "is not an evaluation" in r.json()["error"]["message"]
    assert client.get(f"/api/v1/evals/{run.id}/cases").status_code == 400


def test_cases_pages_and_filters(client: TestClient, pair: Any) -> None:
    base = pair.baseline
    r = client.get(f"/api/v1/evals/{base.run_id}/cases", params={"offset": 10, "limit": 5})
    assert r.status_code == 200, r.text
    page = r.json()
    assert (page["only"], page["offset"], page["limit"], page["total"]) == ("all", 10, 5, 90)
    assert [c["index"] for c in page["cases"]] == [10, 11, 12, 13, 14]
    one = page["cases"][0]
    assert one["inputs"] == {"text": base.cases[10].inputs["text"]}
    assert one["expected"] == base.cases[10].expected and one["output"] == base.cases[10].output
    assert one["correct"] is (correctness(base.cases[10]) == 1.0)

    wrong = client.get(f"/api/v1/evals/{base.run_id}/cases", params={"only": "wrong", "limit": 500})
    expected_wrong = [c.index for c in base.cases if c.ok and c.output != c.expected]
    assert [c["index"] for c in wrong.json()["cases"]] == expected_wrong
    assert wrong.json()["total"] == len(expected_wrong) > 0
    assert all(c["correct"] is False and c["error"] is None for c in wrong.json()["cases"])

    errors = client.get(f"/api/v1/evals/{base.run_id}/cases?only=errors").json()
    assert [c["index"] for c in errors["cases"]] == [7, 22, 37, 52, 67, 82]
    assert errors["cases"][0]["error"].startswith("ValueError: boom")
    assert errors["cases"][0]["output"] is None

    bad = client.get(f"/api/v1/evals/{base.run_id}/cases?only=right")
    assert bad.status_code == 400 and "only must be one of all, wrong, errors" in bad.text
    assert client.get(f"/api/v1/evals/{base.run_id}/cases?limit=501").status_code == 422
    assert client.get(f"/api/v1/evals/{base.run_id}/cases?offset=-1").status_code == 422


def test_compare_gives_the_libraries_comparison(client: TestClient, pair: Any) -> None:
    base, cand = pair.baseline, pair.candidate
    r = client.get(
        "/api/v1/evals/compare", params={"baseline": base.run_id, "candidate": cand.run_id}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    expected = compare(
        base,
        cand,
        n_resamples=2_000,
        metric_fn=lambda cases: aggregate_metrics(cases, ["accuracy", "f1"]),
        metric_fn_resamples=200,
    ).to_dict()
    assert body == expected
    assert body["verdict"] == "significantly_better" and body["metric"] == "accuracy"
    # McNemar's test on the discordant pairs (exact below 25 of them), as statsmodels computes it
    right_a = [correctness(c) == 1 for c in base.cases]
    right_b = [correctness(c) == 1 for c in cand.cases]
    table = [
        [
            sum(a and b for a, b in zip(right_a, right_b)),
            sum(a and not b for a, b in zip(right_a, right_b)),
        ],
        [
            sum(b and not a for a, b in zip(right_a, right_b)),
            sum(not a and not b for a, b in zip(right_a, right_b)),
        ],
    ]
    discordant = table[0][1] + table[1][0]
    reference = mcnemar(table, exact=discordant < 25, correction=True)
    assert body["test"]["method"] == ("mcnemar exact" if discordant < 25 else "mcnemar chi-square")
    assert body["test"]["p_value"] == pytest.approx(reference.pvalue)
    assert body["wins"] == table[1][0] and body["losses"] == table[0][1]
    f1 = next(d for d in body["deltas"] if d["name"] == "f1")
    assert f1["low"] is not None and f1["low"] <= f1["delta"] <= f1["high"]
    assert f1["method"] == "paired bootstrap, recomputed by metric_fn"

    swapped = client.get(
        "/api/v1/evals/compare",
        params={"baseline": cand.run_id, "candidate": base.run_id, "metric": "f1", "level": 0.01},
    ).json()
    assert swapped["verdict"] == "significantly_worse" and swapped["metric"] == "f1"
    assert swapped["level"] == 0.01


def test_compare_refuses_what_cannot_be_compared(
    client: TestClient, pair: Any, ws: Workspace, tmp_path: Path
) -> None:
    other = F.make_pair(ws, tmp_path, n=30, data="other-reviews")
    r = client.get(
        "/api/v1/evals/compare",
        params={"baseline": pair.baseline.run_id, "candidate": other.candidate.run_id},
    )
    assert r.status_code == 400, r.text
    message = r.json()["error"]["message"]
    assert "dataset:reviews@1" in message and "dataset:other-reviews@1" in message
    unknown = client.get(
        "/api/v1/evals/compare",
        params={
            "baseline": pair.baseline.run_id,
            "candidate": pair.candidate.run_id,
            "metric": "bleu",
        },
    )
    assert unknown.status_code == 400 and "'bleu' is in neither" in unknown.text
    level = client.get(
        "/api/v1/evals/compare",
        params={"baseline": pair.baseline.run_id, "candidate": pair.candidate.run_id, "level": 2},
    )
    assert level.status_code == 422
    missing = client.get("/api/v1/evals/compare", params={"baseline": pair.baseline.run_id})
    assert missing.status_code == 422


def test_report(client: TestClient, pair: Any, ws: Workspace, tmp_path: Path) -> None:
    base, cand = pair.baseline, pair.candidate
    r = client.get("/api/v1/evals/report", params={"runs": f"{base.run_id},{cand.run_id}"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["data"] == "dataset:reviews@1" and report["baseline"] == base.run_id
    assert report["quality"] == ["accuracy", "f1"]
    assert report["operational"] == [
        "p50_latency_ms",
        "p95_latency_ms",
        "cost_per_1k_usd",
        "errors",
    ]
    first, second = report["rows"]
    assert first["baseline"] and first["comparison"] is None
    assert first["label"] == "review_rules:classify"
    assert second["label"] == "prompt:label@1 on echo/echo"
    assert second["metrics"]["accuracy"] == pytest.approx(cand.metrics["accuracy"])
    verdict = second["comparison"]
    assert verdict["verdict"] == "significantly_better"
    assert verdict["test"].startswith("mcnemar") and verdict["p_value"] < 0.001
    assert verdict["delta"] == pytest.approx(cand.metrics["accuracy"] - base.metrics["accuracy"])

    # the other way round: repeated runs=, the baseline named by a prefix
    flipped = client.get(
        f"/api/v1/evals/report?runs={base.run_id}&runs={cand.run_id}&baseline={cand.run_id[:8]}"
    ).json()
    assert flipped["baseline"] == cand.run_id
    assert flipped["rows"][0]["comparison"]["verdict"] == "significantly_worse"

    other = F.make_pair(ws, tmp_path, n=30, data="other-reviews")
    mixed = client.get(
        "/api/v1/evals/report", params={"runs": f"{base.run_id},{other.baseline.run_id}"}
    )
    assert mixed.status_code == 400 and "2 different datasets" in mixed.json()["error"]["message"]
    alone = client.get("/api/v1/evals/report", params={"runs": base.run_id})
    assert alone.status_code == 400 and "between 2 and 10" in alone.text
    stranger = client.get(
        "/api/v1/evals/report", params={"runs": f"{base.run_id},{cand.run_id}", "baseline": "ffff"}
    )
    assert stranger.status_code == 400 and "not one of the evaluations" in stranger.text


def test_the_token_guards_the_api(ws: Workspace, pair: Any) -> None:
    with TestClient(create_app(ws, token="s3cret")) as c:
        assert c.get("/api/v1/evals").status_code == 401
        ok = c.get("/api/v1/evals", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and len(ok.json()["evaluations"]) == 2
