"""The web UI pages through ``TestClient``: content, sorting, filtering, errors, auth."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import shipyard as sy
from shipyard.core.settings import Settings
from shipyard.server.app import create_app
from shipyard.server.pages import charts
from shipyard.server.pages.nav import NavLink, nav_groups
from shipyard.server.pages.render import script_json
from shipyard.workspace import Workspace

CHART_JSON = re.compile(r'<script type="application/json" id="chart-\d+">(.*?)</script>', re.S)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(Settings.load(home=str(tmp_path / "ws")))
    yield workspace
    workspace.close()


@pytest.fixture
def runs(ws: Workspace, tmp_path: Path) -> dict[str, str]:
    """Three runs in ``churn`` (one with a nested child) and one in ``other``."""
    ids: dict[str, str] = {}
    specs = [
        ("gbm-small", {"model": "gbm", "depth": 3, "lr": 0.1}, [0.9, 0.5, 0.3], 0.81),
        ("gbm-deep", {"model": "gbm", "depth": 8, "lr": 0.1}, [0.8, 0.4, 0.2], 0.86),
        ("linear", {"model": "linear", "depth": 0, "lr": 0.1}, [1.0, 0.9, 0.85], 0.70),
    ]
    for name, params, losses, auc in specs:
        with sy.start_run(
            "churn", name=name, params=params, tags={"team": "growth"}, workspace=ws
        ) as run:
            for loss in losses:
                run.log_metric("loss", loss)
            run.log_metric("auc", auc)
            ids[name] = run.id
            if name == "gbm-small":
                run.log_text("feature importances\n", "reports/importance.txt")
                with sy.start_run(name="fold-1", workspace=ws, parent=run) as child:
                    child.log_metric("loss", 0.4)
                    ids["fold-1"] = child.id
    with sy.start_run("other", name="lonely", workspace=ws) as run:
        run.log_metric("loss", 1.5)
        ids["lonely"] = run.id
    return ids


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws))


def experiment_id(ws: Workspace, name: str) -> int:
    return ws.store.experiments.get(name).id


def row_order(html: str, names: list[str]) -> list[str]:
    found = [(html.index(f">{n}</a>"), n) for n in names if f">{n}</a>" in html]
    return [n for _, n in sorted(found)]


def test_experiments_page_lists_experiments_with_run_counts(
    client: TestClient, runs: dict[str, str]
) -> None:
    r = client.get("/ui/")
    assert r.status_code == 200, r.text
    assert "text/html" in r.headers["content-type"]
    assert ">churn</a>" in r.text and ">other</a>" in r.text
    assert re.search(r">churn</a></td>\s*<td class=\"num\">4</td>", r.text)  # 3 runs + 1 child


def test_layout_shows_nav_workspace_and_version(client: TestClient, ws: Workspace) -> None:
    r = client.get("/ui/")
    assert r.status_code == 200, r.text
    for label in ("Experiments", "Runs", "Compare"):
        assert f">{label}</a>" in r.text
    assert ws.location in r.text
    assert f"v{sy.__version__}" in r.text
    assert 'aria-current="page"' in r.text


def test_nav_groups_take_later_entries() -> None:
    links = [
        NavLink("Experiments", "Experiments", "/ui/", ("/ui/experiments/",)),
        NavLink("Registry", "Models", "/ui/models", ("/ui/models/",)),
    ]
    groups = nav_groups("/ui/models/churn", links)
    assert [g.title for g in groups] == ["Experiments", "Registry"]
    assert groups[1].links[0][1] is True
    assert groups[0].links[0][1] is False


def test_experiment_page_shows_runs_params_and_metrics(
    client: TestClient, ws: Workspace, runs: dict[str, str]
) -> None:
    r = client.get(f"/ui/experiments/{experiment_id(ws, 'churn')}")
    assert r.status_code == 200, r.text
    for name in ("gbm-small", "gbm-deep", "linear", "fold-1"):
        assert f">{name}</a>" in r.text
    assert "lonely" not in r.text
    assert "status-finished" in r.text
    assert ">Params</th>" in r.text and ">Metrics</th>" in r.text
    assert "0.86" in r.text and "linear" in r.text
    assert f'name="runs" value="{runs["gbm-deep"]}"' in r.text
    # the name works as well as the id
    assert client.get("/ui/experiments/churn").status_code == 200


def test_sort_by_metric_and_param_columns(
    client: TestClient, ws: Workspace, runs: dict[str, str]
) -> None:
    url = f"/ui/experiments/{experiment_id(ws, 'churn')}"
    names = ["gbm-small", "gbm-deep", "linear"]
    r = client.get(url, params={"order": "metrics.auc desc"})
    assert r.status_code == 200, r.text
    assert row_order(r.text, names) == ["gbm-deep", "gbm-small", "linear"]
    assert 'aria-sort="descending"' in r.text
    r = client.get(url, params={"order": "metrics.auc asc"})
    assert row_order(r.text, names) == ["linear", "gbm-small", "gbm-deep"]
    r = client.get(url, params={"order": "params.depth desc"})
    assert row_order(r.text, names) == ["gbm-deep", "gbm-small", "linear"]
    # headers link to the other direction of the current sort, keeping the filter
    r = client.get(url, params={"order": "metrics.auc asc", "filter": "params.lr = 0.1"})
    assert "order=metrics.auc+desc" in r.text
    assert "filter=params.lr+%3D+0.1" in r.text


def test_every_sort_header_link_works(client: TestClient, ws: Workspace) -> None:
    with sy.start_run("odd", name="r1", params={"opt.name": "adam"}, workspace=ws) as run:
        run.log_metric("val loss", 0.5)
        run.log_metric("a`b'c", 1.0)  # no quoting can name this one; it shows but does not sort
    r = client.get(f"/ui/experiments/{run.experiment_id}")
    assert r.status_code == 200, r.text
    links = re.findall(r'<a class="sort" href="([^"]+)"', r.text)
    assert len(links) == 6  # name, status, started, duration, opt.name, val loss
    for link in links:
        page = client.get(link.replace("&amp;", "&"))
        assert page.status_code == 200, (link, page.text)
    assert "order=metrics.%60val+loss%60+asc" in r.text


def test_bad_query_parameter_is_an_error_page(client: TestClient) -> None:
    r = client.get("/ui/runs", params={"limit": "lots"})
    assert r.status_code == 400, r.text
    assert "text/html" in r.headers["content-type"] and "limit" in r.text


def test_filter_narrows_runs(client: TestClient, ws: Workspace, runs: dict[str, str]) -> None:
    url = f"/ui/experiments/{experiment_id(ws, 'churn')}"
    r = client.get(url, params={"filter": "params.model = 'gbm' and metrics.auc > 0.85"})
    assert r.status_code == 200, r.text
    assert ">gbm-deep</a>" in r.text
    assert ">gbm-small</a>" not in r.text and ">linear</a>" not in r.text
    assert 'value="params.model = &#39;gbm&#39; and metrics.auc &gt; 0.85"' in r.text


def test_bad_filter_shows_message_inline(
    client: TestClient, ws: Workspace, runs: dict[str, str]
) -> None:
    url = f"/ui/experiments/{experiment_id(ws, 'churn')}"
    r = client.get(url, params={"filter": "metrics.auc >> 1"})
    assert r.status_code == 400, r.text
    assert "text/html" in r.headers["content-type"]
    assert "This filter could not be used" in r.text
    assert "filter error at position" in r.text
    assert 'aria-invalid="true"' in r.text
    r = client.get("/ui/runs", params={"order": "metrics.auc sideways"})
    assert r.status_code == 400, r.text
    assert "order error" in r.text


def test_pagination_follows_page_token(client: TestClient, runs: dict[str, str]) -> None:
    seen: list[str] = []
    url: str | None = "/ui/runs?limit=2&order=attributes.name+asc"
    pages = 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        seen += re.findall(r'name="runs" value="([0-9a-f]+)"', r.text)
        match = re.search(r'href="([^"]+)" rel="next"', r.text)
        url = match.group(1).replace("&amp;", "&") if match else None
        pages += 1
        if pages > 1:
            assert "First page" in r.text
    assert pages == 3
    assert sorted(seen) == sorted(runs.values())


def test_run_page_shows_everything(client: TestClient, runs: dict[str, str]) -> None:
    r = client.get(f"/ui/runs/{runs['gbm-small']}")
    assert r.status_code == 200, r.text
    html = r.text
    assert "gbm-small" in html and runs["gbm-small"] in html
    assert ">churn</a>" in html
    assert ">fold-1</a>" in html  # child run link
    for text in ("depth", ">3<", "growth", "reports/importance.txt", "20 B"):
        assert text in html
    assert f"/ui/runs/{runs['gbm-small']}/artifacts/reports/importance.txt" in html
    assert "Python" in html and "Packages" in html
    charts_json = [json.loads(c) for c in CHART_JSON.findall(html)]
    by_key = {c["key"]: c for c in charts_json}
    assert set(by_key) == {"auc", "loss"}
    assert by_key["loss"]["traces"][0]["y"] == [0.9, 0.5, 0.3]
    assert by_key["loss"]["traces"][0]["x"] == [0, 1, 2]
    assert "/static/plotly.min.js" in html and "/static/charts.js" in html
    child = client.get(f"/ui/runs/{runs['fold-1']}")
    assert child.status_code == 200, child.text
    assert f'href="/ui/runs/{runs["gbm-small"]}"' in child.text


def test_run_page_shows_git_commit_and_dirty_flag(client: TestClient, ws: Workspace) -> None:
    digest = ws.store.environments.put(
        {
            "python": "3.11.9",
            "platform": "Linux-6.1-x86_64",
            "command": ["train.py", "--epochs", "3 4"],
            "git": {"commit": "0123456789abcdef0123", "branch": "main", "dirty": True},
            "packages": {"numpy": "2.0.0", "shipyard": "0.1.0"},
        }
    )
    exp = ws.store.experiments.get_or_create("git")
    run = ws.store.runs.create(exp.id, "with-git", env_digest=digest)
    r = client.get(f"/ui/runs/{run.id}")
    assert r.status_code == 200, r.text
    for text in ("3.11.9", "Linux-6.1-x86_64", "0123456789ab", ">dirty<", "main"):
        assert text in r.text
    assert "train.py --epochs &#39;3 4&#39;" in r.text
    assert "<summary>Packages" in r.text and "numpy" in r.text
    assert "still running" in r.text


def test_run_page_survives_nan_and_hostile_names(client: TestClient, ws: Workspace) -> None:
    hostile = "</script><script>alert(1)</script>"
    with sy.start_run("x", name="<img src=x onerror=alert(1)>", workspace=ws) as run:
        run.log_metric(hostile, 1.0)
        run.log_metric(hostile, math.nan)
        run.log_metric(hostile, math.inf)
        run.log_metric(hostile, 2.0)
        run.set_tag("note", "<b>bold</b>")
    r = client.get(f"/ui/runs/{run.id}")
    assert r.status_code == 200, r.text
    assert "<script>alert(1)" not in r.text
    assert "<img src=x" not in r.text and "&lt;img src=x" in r.text
    assert "<b>bold</b>" not in r.text
    (data,) = CHART_JSON.findall(r.text)
    chart = json.loads(data)
    assert chart["key"] == hostile
    assert chart["traces"][0]["y"] == [1.0, None, None, 2.0]
    assert "NaN" not in data and "Infinity" not in data
    runs_page = client.get(f"/ui/experiments/{run.experiment_id}")
    assert runs_page.status_code == 200, runs_page.text
    assert "<img src=x" not in runs_page.text


def test_script_json_cannot_close_the_script_block() -> None:
    text = script_json({"a": "</script><!--", "b": [math.nan, math.inf, 1.5], "c": "\u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!--", "b": [None, None, 1.5], "c": "\u2028"}


def test_downsample_keeps_ends_and_extremes() -> None:
    n = 100_000
    steps = list(range(n))
    values: list[float | None] = [math.sin(i / 1000) for i in range(n)]
    values[54_321] = 50.0
    values[77_777] = -50.0
    values[90_000] = None
    xs, ys = charts.downsample(steps, values)
    assert len(xs) <= charts.MAX_POINTS
    assert xs[0] == 0 and xs[-1] == n - 1
    assert xs == sorted(xs)
    assert 54_321 in xs and 77_777 in xs
    assert max(y for y in ys if y is not None) == 50.0
    short_x, short_y = charts.downsample([1, 2, 3], [1.0, None, 3.0])
    assert (short_x, short_y) == ([1, 2, 3], [1.0, None, 3.0])


def test_long_series_is_downsampled_on_the_run_page(client: TestClient, ws: Workspace) -> None:
    with sy.start_run("long", name="long", workspace=ws) as run:
        for i in range(12_000):
            run.log_metric("loss", 1 / (i + 1))
    r = client.get(f"/ui/runs/{run.id}")
    assert r.status_code == 200, r.text
    (data,) = CHART_JSON.findall(r.text)
    trace = json.loads(data)["traces"][0]
    assert len(trace["x"]) <= charts.MAX_POINTS
    assert trace["x"][0] == 0 and trace["x"][-1] == 11_999
    assert "downsampled for display" in r.text
    assert "12000" in r.text  # the metrics table counts every point


def test_artifact_download_streams_the_bytes(client: TestClient, runs: dict[str, str]) -> None:
    r = client.get(f"/ui/runs/{runs['gbm-small']}/artifacts/reports/importance.txt")
    assert r.status_code == 200, r.text
    assert r.content == b"feature importances\n"
    assert "importance.txt" in r.headers["content-disposition"]
    missing = client.get(f"/ui/runs/{runs['gbm-small']}/artifacts/nope.txt")
    assert missing.status_code == 404, missing.text
    assert "has no artifact" in missing.text


def test_unknown_run_is_a_friendly_404_page(client: TestClient, runs: dict[str, str]) -> None:
    r = client.get("/ui/runs/ffffffffffff")
    assert r.status_code == 404, r.text
    assert "text/html" in r.headers["content-type"]
    assert "Not found" in r.text and "ffffffffffff" in r.text
    assert client.get("/ui/experiments/no-such-experiment").status_code == 404


def test_compare_highlights_differences_and_overlays_curves(
    client: TestClient, runs: dict[str, str]
) -> None:
    ids = [runs["gbm-small"], runs["linear"]]
    r = client.get("/ui/compare", params={"runs": ",".join(ids)})
    assert r.status_code == 200, r.text
    html = r.text
    assert ">gbm-small</a>" in html and ">linear</a>" in html
    rows = {
        key: cls
        for cls, key in re.findall(
            r'<tr class="(diff|same)">\s*<th scope="row" class="key">(\w+)</th>', html
        )
    }
    assert rows == {"depth": "diff", "lr": "same", "model": "diff"}
    charts_json = {c["key"]: c for c in (json.loads(x) for x in CHART_JSON.findall(html))}
    assert set(charts_json) == {"auc", "loss"}
    loss = charts_json["loss"]["traces"]
    assert [t["name"] for t in loss] == ["gbm-small", "linear"]
    assert loss[1]["y"] == [1.0, 0.9, 0.85]
    assert loss[0]["color"] != loss[1]["color"]


def test_compare_accepts_repeated_params_and_prefixes(
    client: TestClient, runs: dict[str, str]
) -> None:
    r = client.get(
        "/ui/compare", params=[("runs", runs["gbm-small"][:8]), ("runs", runs["lonely"])]
    )
    assert r.status_code == 200, r.text
    assert ">gbm-small</a>" in r.text and ">lonely</a>" in r.text
    assert [json.loads(c)["key"] for c in CHART_JSON.findall(r.text)] == ["loss"]
    assert "so not charted here: auc." in r.text


def test_compare_needs_two_to_ten_runs(client: TestClient, runs: dict[str, str]) -> None:
    r = client.get("/ui/compare", params={"runs": runs["gbm-small"]})
    assert r.status_code == 400, r.text
    assert "text/html" in r.headers["content-type"]
    assert "between 2 and 10 runs" in r.text
    r = client.get("/ui/compare", params={"runs": ",".join(f"{i:08x}" for i in range(11))})
    assert r.status_code == 400, r.text
    r = client.get("/ui/compare", params={"runs": f"{runs['linear']},ffffffffffff"})
    assert r.status_code == 404, r.text


def test_compare_without_runs_is_a_picker(client: TestClient, runs: dict[str, str]) -> None:
    r = client.get("/ui/compare")
    assert r.status_code == 200, r.text
    assert 'action="/ui/compare"' in r.text
    assert f'value="{runs["lonely"]}"' in r.text


def test_static_files_and_plotly(client: TestClient) -> None:
    r = client.get("/static/plotly.min.js")
    assert r.status_code == 200, r.text[:200]
    assert "max-age=31536000" in r.headers["cache-control"]
    assert "javascript" in r.headers["content-type"]
    assert len(r.content) > 1_000_000
    for name in ("style.css", "charts.js", "runs-table.js", "favicon.svg"):
        assert client.get(f"/static/{name}").status_code == 200, name


def test_pages_are_not_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/ui", "/static"))]


def test_token_protected_ui_needs_login(ws: Workspace, runs: dict[str, str]) -> None:
    client = TestClient(create_app(ws, token="s3cret-token"))
    r = client.get("/ui/", follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/ui/login?next=%2Fui%2F"
    r = client.get(
        f"/ui/runs/{runs['gbm-small']}/artifacts/reports/importance.txt", follow_redirects=False
    )
    assert r.status_code == 303, r.text
    form = client.get("/ui/login?next=/ui/runs")
    assert form.status_code == 200, form.text
    assert 'type="password"' in form.text
    bad = client.post(
        "/ui/login", data={"token": "wrong", "next": "/ui/runs"}, follow_redirects=False
    )
    assert bad.status_code == 401, bad.text
    assert "not the one" in bad.text
    assert client.get("/ui/", follow_redirects=False).status_code == 303
    good = client.post(
        "/ui/login", data={"token": "s3cret-token", "next": "/ui/runs"}, follow_redirects=False
    )
    assert good.status_code == 303, good.text
    assert good.headers["location"] == "/ui/runs"
    cookie = good.headers["set-cookie"]
    assert "shipyard_token=s3cret-token" in cookie and "HttpOnly" in cookie
    r = client.get("/ui/")
    assert r.status_code == 200, r.text
    assert ">churn</a>" in r.text and "Sign out" in r.text
    out = client.post("/ui/logout", follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_bearer_token_also_opens_pages(ws: Workspace) -> None:
    client = TestClient(create_app(ws, token="tok"))
    r = client.get("/ui/", headers={"Authorization": "Bearer tok"})
    assert r.status_code == 200, r.text


def test_login_never_redirects_off_site(ws: Workspace) -> None:
    client = TestClient(create_app(ws, token="tok"))
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = client.post("/ui/login", data={"token": "tok", "next": target}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/ui/"
