"""The pipeline pages: the runs list, a run's step graph coloured by status, cached steps marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import shipyard as sy
from shipyard.server.app import create_app
from shipyard.workspace import current_workspace

FAIL_FLAG = "fail-flag"


@sy.step
def load(n: int = 4) -> list[int]:
    return list(range(n))


@sy.step
def double(xs: list[int]) -> list[int]:
    return [x * 2 for x in xs]


@sy.step
def fragile(xs: list[int], flag: str = "") -> int:
    if flag and Path(flag).exists():
        raise RuntimeError("the fragile step broke <on purpose>")
    return sum(xs)


@sy.step
def total(a: list[int], b: int) -> int:
    return sum(a) + b


@sy.pipeline
def numbers(n: int = 4, flag: str = "") -> None:
    xs = load(n)
    total(double(xs), fragile(xs, flag))


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(current_workspace()))


def steps_of(html: str) -> dict[str, str]:
    """The step boxes of the drawn graph: step id → status."""
    return dict(
        re.findall(
            r'<a href="[^"]*" class="step step-\w+" data-step="(\w+)" data-status="(\w+)"', html
        )
    )


def test_pipeline_page_draws_every_step_with_its_status(client: TestClient) -> None:
    first = sy.pipelines.run(numbers, params={"n": 4})
    page = client.get(f"/ui/pipelines/{first.run_id}")
    assert page.status_code == 200
    assert steps_of(page.text) == dict.fromkeys(["load", "double", "fragile", "total"], "finished")
    assert (
        page.text.count('class="edge"') == 4
    )  # load→double, load→fragile, double→total, fragile→total
    assert "⟲ cached" not in page.text

    again = sy.pipelines.run(numbers, params={"n": 4})
    page = client.get(f"/ui/pipelines/{again.run_id}")
    assert steps_of(page.text) == dict.fromkeys(["load", "double", "fragile", "total"], "cached")
    assert page.text.count("⟲ cached") == 4
    key = again.view.step("total").cache_key
    assert key is not None and f'title="{key}"' in page.text  # the cache key is shown


def test_failed_step_shows_red_with_its_error_and_the_rest_skipped(
    client: TestClient, tmp_path: Path
) -> None:
    flag = tmp_path / FAIL_FLAG
    flag.write_text("fail")
    with pytest.raises(sy.pipelines.PipelineFailed):
        sy.pipelines.run(numbers, params={"n": 3, "flag": str(flag)})
    failed = sy.pipelines.list_runs()[0]
    page = client.get(f"/ui/pipelines/{failed.run_id}")
    statuses = steps_of(page.text)
    assert statuses["fragile"] == "failed" and statuses["total"] in ("skipped", "pending")
    assert "the fragile step broke &lt;on purpose&gt;" in page.text  # escaped, shown

    listing = client.get("/ui/pipelines?status=failed")
    assert failed.run_id in listing.text and "status-failed" in listing.text
    assert "No pipeline runs match" in client.get("/ui/pipelines?status=finished").text


def test_pipeline_pages_explain_what_is_not_there(client: TestClient) -> None:
    assert "No pipeline runs yet" in client.get("/ui/pipelines").text
    with sy.start_run(name="plain") as run:
        pass
    page = client.get(f"/ui/pipelines/{run.id}")
    assert page.status_code == 400 and "not a pipeline run" in page.text
    assert client.get("/ui/pipelines/ffffffff").status_code == 404
    assert '<a href="/ui/pipelines"' in client.get("/ui/").text  # in the sidebar
