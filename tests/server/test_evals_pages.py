"""The evaluation pages: the list, one evaluation, a comparison and a report, through TestClient."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import shipyard as sy
from shipyard.server.app import create_app
from shipyard.server.pages.eval_format import asset_url, delta, p_is, value
from shipyard.tracking.api import start_run
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


def figure(html: str, name: str) -> dict[str, Any]:
    """The plotly figure embedded for ``data-figure-src=name``."""
    assert f'data-figure-src="{name}"' in html, f"no figure {name}"
    match = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def rows(html: str, table: str) -> list[str]:
    body = html.split(f'class="data {table}')[1].split("</tbody>", maxsplit=1)[0]
    return re.findall(r'<tr data-case="(\d+)"', body)


def test_the_list(client: TestClient, pair: Any) -> None:
    r = client.get("/ui/evals")
    assert r.status_code == 200, r.text
    html = r.text
    for e in (pair.baseline, pair.candidate):
        assert f'href="/ui/evals/{e.run_id}"' in html
        assert f'name="runs" value="{e.run_id}"' in html
    assert html.index(pair.candidate.run_id) < html.index(pair.baseline.run_id)  # newest first
    assert "review_rules:classify" in html and "echo/echo" in html
    assert 'formaction="/ui/evals/compare"' in html and 'formaction="/ui/evals/report"' in html
    assert '<th scope="col" class="num">accuracy</th>' in html
    assert "0.9000" in html and "0.6000" in html  # the accuracies
    assert 'src="/static/evals.js' in html and "Content-Security-Policy" in r.headers

    only = client.get("/ui/evals", params={"target": "prompt:label"}).text
    assert pair.candidate.run_id in only and f'value="{pair.baseline.run_id}"' not in only
    none = client.get("/ui/evals", params={"data": "dataset:nothing"})
    assert none.status_code == 200 and "No evaluation matches these filters." in none.text
    bad = client.get("/ui/evals", params={"target": "prompt:label@nosuch"})
    assert bad.status_code == 400 and "This filter could not be used." in bad.text


def test_an_empty_workspace(client: TestClient) -> None:
    r = client.get("/ui/evals")
    assert r.status_code == 200 and "No evaluations yet." in r.text


def test_one_evaluation(client: TestClient, pair: Any, ws: Workspace) -> None:
    cand = pair.candidate
    r = client.get(f"/ui/evals/{cand.run_id}")
    assert r.status_code == 200, r.text
    html = r.text
    assert f'href="/ui/runs/{cand.run_id}"' in html
    run_page = client.get(f"/ui/runs/{cand.run_id}").text  # and back from the run's page
    assert f'href="/ui/evals/{cand.run_id}"' in run_page
    with start_run("plain", workspace=ws) as plain:
        pass
    assert "/ui/evals/" not in client.get(f"/ui/runs/{plain.id}").text
    assert 'href="/ui/assets/prompt/label/1"' in html  # the target version
    assert 'href="/ui/assets/dataset/reviews/1"' in html  # the dataset version
    assert f'href="/ui/traces/{cand.cases[0].metadata["trace_id"]}"' in html
    assert (
        '<div class="metric-tile" data-metric="accuracy"><div class="name">accuracy</div><div class="number">0.9000</div>'
        in html
    )
    heatmap = figure(html, "fig-confusion")["data"][0]
    matrix = cand.details["confusion_matrix"]
    assert heatmap["type"] == "heatmap" and heatmap["z"] == matrix["matrix"]
    assert heatmap["x"] == heatmap["y"] == matrix["labels"]
    bars = figure(html, "fig-per-class")["data"]
    assert [b["name"] for b in bars] == ["f1"]  # only F1 was scored per class
    assert bars[0]["y"] == [cand.metrics[f"f1[{label}]"] for label in bars[0]["x"]]
    latency = figure(html, "fig-latency")["data"][0]
    assert latency["type"] == "histogram" and len(latency["x"]) == 90
    assert rows(html, "cases-table") == [str(i) for i in range(50)]  # page 1 of 2
    assert 'rel="next"' in html and "Page 1 of 2" in html

    second = client.get(f"/ui/evals/{cand.run_id}", params={"page": 2}).text
    assert rows(second, "cases-table") == [str(i) for i in range(50, 90)]
    wrong = client.get(f"/ui/evals/{cand.run_id}", params={"only": "wrong"}).text
    assert rows(wrong, "cases-table") == [str(i) for i in range(0, 90, 10)]
    assert 'class="current" aria-current="page" data-filter="wrong"' in wrong
    errors = client.get(f"/ui/evals/{cand.run_id}", params={"only": "errors"}).text
    assert rows(errors, "cases-table") == [] and "No case failed." in errors


def test_failed_cases_are_shown_with_their_error(client: TestClient, pair: Any) -> None:
    base = pair.baseline
    html = client.get(f"/ui/evals/{base.run_id}", params={"only": "errors"}).text
    assert rows(html, "cases-table") == ["7", "22", "37", "52", "67", "82"]
    assert "ValueError: boom: the rules cannot read this review" in html
    assert 'class="failed"' in html
    # a Python function is no registry asset: named, not linked
    assert "<code>review_rules:classify</code>" in html and 'data-link="target"' not in html


def test_unknown_and_bad_requests_get_a_page(client: TestClient, pair: Any, ws: Workspace) -> None:
    missing = client.get("/ui/evals/0123abcd")
    assert missing.status_code == 404 and "Not found" in missing.text
    assert "text/html" in missing.headers["content-type"]
    with sy.start_run(workspace=ws) as run:
        pass
    other = client.get(f"/ui/evals/{run.id}")
    assert other.status_code == 400 and "is not an evaluation" in other.text
    bad_filter = client.get(f"/ui/evals/{pair.baseline.run_id}", params={"only": "right"})
    assert bad_filter.status_code == 400 and "only must be one of" in bad_filter.text
    bad_page = client.get(f"/ui/evals/{pair.baseline.run_id}", params={"page": 0})
    assert bad_page.status_code == 400


def test_compare(client: TestClient, pair: Any) -> None:
    base, cand = pair.baseline, pair.candidate
    started = time.perf_counter()
    r = client.get("/ui/evals/compare", params={"baseline": base.run_id, "candidate": cand.run_id})
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text
    html = r.text
    assert elapsed < 5  # ~0.3 s alone; generous for a shared machine
    assert 'data-verdict="significantly_better">significantly better</span>' in html
    assert "mcnemar" in html and "&lt; 0.0001" in html
    forest = figure(html, "fig-forest")["data"][0]
    assert forest["y"] == ["accuracy", "f1"]
    assert forest["x"][0] == pytest.approx(0.3)
    assert all(v > 0 for v in forest["error_x"]["array"] + forest["error_x"]["arrayminus"])
    outcomes = figure(html, "fig-outcomes")["data"]
    wins, ties, losses = (t["x"][0] for t in outcomes)
    assert wins + ties + losses == 90 and wins > losses
    assert len(rows(html, "cases-table disagreements-table")) == wins + losses
    assert '<tr data-metric="f1">' in html
    assert f"/ui/evals/compare?baseline={cand.run_id}&amp;candidate={base.run_id}" in html  # swap

    worse = client.get(
        "/ui/evals/compare",
        params={"baseline": cand.run_id, "candidate": base.run_id, "metric": "f1", "level": 0.01},
    ).text
    assert 'data-verdict="significantly_worse"' in worse
    assert '<option value="f1" selected>' in worse and '<option value="0.01" selected>' in worse


def test_compare_picked_in_the_list(client: TestClient, pair: Any) -> None:
    base, cand = pair.baseline, pair.candidate
    r = client.get(
        f"/ui/evals/compare?runs={cand.run_id}&runs={base.run_id}", follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == (
        f"/ui/evals/compare?baseline={base.run_id}&candidate={cand.run_id}"
    )  # the older one is the baseline
    three = client.get(f"/ui/evals/compare?runs={cand.run_id}&runs={base.run_id}&runs=abc")
    assert three.status_code == 400 and "exactly two evaluations" in three.text
    nothing = client.get("/ui/evals/compare")
    assert nothing.status_code == 400 and "needs a baseline and a candidate" in nothing.text


def test_different_datasets_are_refused(
    client: TestClient, pair: Any, ws: Workspace, tmp_path: Path
) -> None:
    other = F.make_pair(ws, tmp_path, n=30, data="other-reviews")
    r = client.get(
        "/ui/evals/compare",
        params={"baseline": pair.baseline.run_id, "candidate": other.candidate.run_id},
    )
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    assert "compare evaluations of the same dataset version" in r.text
    report = client.get(
        "/ui/evals/report", params={"runs": f"{pair.baseline.run_id},{other.baseline.run_id}"}
    )
    assert report.status_code == 400
    assert "a report compares evaluations of one dataset version" in report.text


def test_report(client: TestClient, pair: Any) -> None:
    base, cand = pair.baseline, pair.candidate
    r = client.get("/ui/evals/report", params={"runs": [base.run_id, cand.run_id]})
    assert r.status_code == 200, r.text
    html = r.text
    table = html.split('class="data report-table"')[1].split("</table>")[0]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', table)
    assert headers == [
        "Evaluation", "accuracy", "f1", "p50 latency", "p95 latency", "cost / 1,000", "errors",
        "vs baseline",
    ]  # fmt: skip
    assert f'<tr data-run="{base.run_id}" class="baseline">' in table
    assert "prompt:label@1 on echo/echo" in table
    assert 'data-verdict="significantly_better"' in table
    assert value("accuracy", cand.metrics["accuracy"]) in table
    assert delta("accuracy", cand.metrics["accuracy"] - base.metrics["accuracy"]) in table
    quality = figure(html, "fig-quality")["data"]
    assert [t["name"] for t in quality] == ["review_rules:classify", "prompt:label@1 on echo/echo"]
    assert quality[1]["x"] == ["accuracy", "f1"]
    assert quality[1]["y"] == [cand.metrics["accuracy"], cand.metrics["f1"]]
    assert figure(html, "fig-latency")["data"][0]["x"] == ["p50_latency_ms", "p95_latency_ms"]
    assert 'data-figure-src="fig-cost"' not in html and "so cost is not charted" in html

    flipped = client.get(
        "/ui/evals/report", params={"runs": f"{base.run_id},{cand.run_id}", "baseline": cand.run_id}
    ).text
    assert f'<tr data-run="{cand.run_id}" class="baseline">' in flipped
    assert 'data-verdict="significantly_worse"' in flipped
    alone = client.get("/ui/evals/report", params={"runs": base.run_id})
    assert alone.status_code == 400 and "between 2 and 10" in alone.text


def test_pages_need_the_token(ws: Workspace, pair: Any) -> None:
    with TestClient(create_app(ws, token="s3cret")) as c:
        r = c.get("/ui/evals", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")


def test_formatting() -> None:
    assert value("p95_latency_ms", 12.34) == "12.3 ms" and value("cost_per_1k_usd", 0) == "$0"
    assert value("errors", 3.0) == "3" and value("error_rate", 0.125) == "12.5%"
    assert value("f1", 0.91234) == "0.9123" and value("f1", None) == "—"
    assert delta("accuracy", -0.05) == "-0.0500" and delta("p50_latency_ms", 2.5) == "+2.5 ms"
    assert asset_url("model:credit@production") == "/ui/assets/model/credit/production"
    assert asset_url("dataset:x") == "/ui/assets/dataset/x/latest"
    assert asset_url("my_app:predict") is None and asset_url("http://host/x") is None
    assert p_is(0.01234) == "p = 0.0123" and p_is(1e-12) == "p < 0.0001"  # not "p = < 0.0001"
