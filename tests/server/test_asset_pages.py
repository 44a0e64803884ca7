"""The registry pages through ``TestClient``: lists, versions, aliases, files, lineage, errors."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import shipyard as sy
from shipyard.assets.aliases import CheckResult, move_alias, protect_alias
from shipyard.assets.registry import register_files, use
from shipyard.core.digests import digest_bytes
from shipyard.core.settings import Settings
from shipyard.server.app import create_app
from shipyard.server.pages.asset_metadata import metadata_view
from shipyard.server.pages.graph_layout import layered_layout
from shipyard.store.asset_records import AssetFile
from shipyard.workspace import Workspace

HOSTILE = '<script>alert("x")</script>'
PACK_HEAD = b"#pack-v1\n"
ALPHA, BETA = b"alpha: first packed file\n", b"beta: second\n"
CREDIT_META = {
    "num_rows": 2,
    "schema": [
        {"name": "age", "type": "int64", "nullable": False},
        {"name": "plan", "type": "string", "nullable": True},
    ],
    "stats": {
        "columns": {
            "age": {
                "type": "int64",
                "kind": "numeric",
                "count": 2,
                "nulls": 0,
                "min": 31,
                "max": 47.5,
            },
            "plan": {
                "type": "string",
                "kind": "string",
                "count": 1,
                "nulls": 1,
                "distinct": 1,
                "top": [{"value": "gold", "count": 1}],
            },
        }
    },
    "source": "warehouse.credit",
}


@dataclass
class Registry:
    ingest: str
    fit: str


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(Settings.load(home=str(tmp_path / "ws")))
    yield workspace
    workspace.close()


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws))


@pytest.fixture
def registry(ws: Workspace) -> Registry:
    """credit@1 (ingested by a run), docs@1 (packed files), churn@1..2 trained on credit@1."""
    with sy.start_run("etl", name="ingest", workspace=ws) as ingest:
        register_files(
            "dataset",
            "credit",
            {"train.csv": b"age,plan\n31,gold\n", "test.csv": b"age,plan\n47.5,\n"},
            CREDIT_META,
            workspace=ws,
        )
    pack = ws.blobs.put(io.BytesIO(PACK_HEAD + ALPHA + BETA))
    packed = [
        AssetFile("docs/alpha.txt", digest_bytes(ALPHA), len(ALPHA), pack.digest, len(PACK_HEAD)),
        AssetFile(
            "docs/beta.txt", digest_bytes(BETA), len(BETA), pack.digest, len(PACK_HEAD + ALPHA)
        ),
    ]
    register_files("dataset", "docs", {}, {"format": "tree"}, extra=packed, workspace=ws)
    with sy.start_run("train", name="fit", workspace=ws) as fit:
        use("dataset:credit@1", workspace=ws)
        register_files(
            "model",
            "churn",
            {"model.bin": b"weights-1"},
            {"flavor": "sklearn", "note": HOSTILE, "signature": {"inputs": [{"name": "age"}]}},
            workspace=ws,
        )
        register_files("model", "churn", {"model.bin": b"weights-2"}, workspace=ws)
    move_alias("model:churn@1", "production", workspace=ws)
    protect_alias("model:churn@production", "production", workspace=ws)
    move_alias(
        "model:churn@2",
        "production",
        check=CheckResult(True, "gate f1>=0.9 passed: f1=0.93"),
        workspace=ws,
    )
    move_alias("model:churn@1", "staging", workspace=ws)
    return Registry(ingest=ingest.id, fit=fit.id)


def svg(html: str, direction: str) -> str:
    """The ``<svg id="lineage-{direction}">`` element of a page."""
    match = re.search(rf'<svg class="lineage" id="lineage-{direction}".*?</svg>', html, re.S)
    assert match, f"no {direction} lineage graph"
    return match.group(0)


def get_page(client: TestClient, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def test_assets_list_shows_kinds_versions_and_alias_chips(
    client: TestClient, registry: Registry
) -> None:
    html = get_page(client, "/ui/assets")
    for href in ("/ui/assets/dataset/credit", "/ui/assets/dataset/docs", "/ui/assets/model/churn"):
        assert f'href="{href}"' in html
    assert '<span class="badge kind kind-model">model</span>' in html
    assert html.count('<span class="badge kind kind-dataset">dataset</span>') == 2
    assert 'href="/ui/assets/model/churn/2">v2</a>' in html  # latest version
    assert re.search(r'href="/ui/assets/model/churn/2"[^>]*>production <span class="to">→ 2', html)
    assert re.search(r'href="/ui/assets/model/churn/1"[^>]*>staging <span class="to">→ 1', html)
    assert ">Registry</div>" in html and 'href="/ui/assets?kind=model"' in html
    assert "3 assets" in html


def test_kind_filter(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets?kind=dataset")
    assert 'href="/ui/assets/dataset/credit"' in html and 'href="/ui/assets/dataset/docs"' in html
    assert 'href="/ui/assets/model/churn"' not in html
    assert re.search(r'class="current" aria-current="page">Datasets <span class="count">2', html)
    html = get_page(client, "/ui/assets?kind=model")
    assert 'href="/ui/assets/model/churn"' in html and "/ui/assets/dataset/credit" not in html
    html = get_page(client, "/ui/assets?kind=prompt")
    assert "No prompts yet" in html
    html = get_page(client, "/ui/assets?kind=modle", status=400)
    assert "unknown asset kind &#39;modle&#39;" in html and "did you mean &#39;model&#39;" in html


def test_empty_registry(client: TestClient) -> None:
    assert "No assets yet" in get_page(client, "/ui/assets")


def test_asset_page_versions_aliases_and_history(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets/model/churn")
    versions = html[html.index('class="data versions-table"') : html.index('id="aliases"')]
    assert versions.index('href="/ui/assets/model/churn/2">v2') < versions.index(">v1</a>")
    assert versions.count(f'href="/ui/runs/{registry.fit}">fit</a>') == 2
    assert registry.fit[:8] in versions
    aliases = html[html.index('class="data aliases-table"') : html.index('id="history"')]
    rows = re.findall(r"<tr>.*?</tr>", aliases[aliases.index("<tbody>") :], re.S)
    assert len(rows) == 2
    production, staging = rows
    assert "production" in production and "🔒 protected" in production and ">v2<" in production
    assert "staging" in staging and "🔒" not in staging and ">no<" in staging
    history = html[html.index('class="data history-table"') :]
    moves = re.findall(r"<tr>.*?</tr>", history[history.index("<tbody>") :], re.S)
    assert len(moves) == 4  # newest first
    assert "staging" in moves[0] and "created" in moves[0]
    assert "gate f1&gt;=0.9 passed: f1=0.93" in moves[1]
    assert re.search(r">v1</a> → <a[^>]*>v2</a>", moves[1])
    assert "protected" in moves[2] and "(unchanged)" in moves[2]
    assert "created" in moves[3] and ">v1</a>" in moves[3]


def test_version_page_by_number_and_by_alias(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets/model/churn/production")
    assert '<span class="ref">model:churn@2</span>' in html
    assert "<code>model:churn@production</code> resolves to version 2" in html
    assert 'href="/ui/assets/model/churn/2/files/model.bin"' in html
    assert 'rel="prev"' in html and 'rel="next"' not in html
    assert f'produced by run <a href="/ui/runs/{registry.fit}">fit</a>' in html
    html = get_page(client, "/ui/assets/model/churn/latest")
    assert '<span class="ref">model:churn@2</span>' in html
    html = get_page(client, "/ui/assets/model/churn/1")
    assert "Version 1 of 2" in html and 'rel="next"' in html


def test_dataset_metadata_becomes_a_columns_table(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets/dataset/credit/1")
    table = html[
        html.index('class="data columns-table"') : html.index('class="data kv meta-table"')
    ]
    assert "2 columns · 2 rows" in table
    age, plan = re.findall(r"<tr>\s*<td class=\"key\">.*?</tr>", table, re.S)
    assert ">age<" in age and "int64" in age and "min 31 · max 47.5" in age and ">no<" in age
    assert ">plan<" in plan and "1 distinct" in plan and "top gold (1)" in plan
    assert '<td class="num">1</td>' in plan  # one null
    kv = html[html.index('class="data kv meta-table"') :]
    assert "warehouse.credit" in kv and ">schema<" not in kv  # shown as the table instead
    assert "Raw metadata (JSON)" in html and "&#34;nullable&#34;: false" in html


def test_hostile_metadata_is_escaped(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets/model/churn/1")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert '<pre class="json">{\n  &#34;inputs&#34;' in html  # nested values pretty-printed


def test_files_list_and_downloads(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets/dataset/credit/1")
    assert 'href="/ui/assets/dataset/credit/1/files/train.csv"' in html
    r = client.get("/ui/assets/dataset/credit/1/files/test.csv")
    assert r.status_code == 200, r.text
    assert r.content == b"age,plan\n47.5,\n"
    assert "filename*=UTF-8''test.csv" in r.headers["content-disposition"]
    r = client.get("/ui/assets/model/churn/production/files/model.bin")
    assert r.content == b"weights-2"


def test_packed_files_are_read_from_their_range(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets/dataset/docs/1")
    assert html.count('<span class="badge packed"') == 2
    assert "No lineage recorded" in html and "<svg" not in html  # registered outside a run
    assert 'href="/ui/assets/dataset/docs/1/files/docs/alpha.txt"' in html
    for path, body in (("docs/alpha.txt", ALPHA), ("docs/beta.txt", BETA)):
        r = client.get(f"/ui/assets/dataset/docs/1/files/{path}")
        assert r.status_code == 200, r.text
        assert r.content == body
        assert r.headers["content-length"] == str(len(body))
        assert f"filename*=UTF-8''{path.rsplit('/', 1)[-1]}" in r.headers["content-disposition"]


def test_lineage_graphs_link_versions_and_runs(client: TestClient, registry: Registry) -> None:
    html = get_page(client, "/ui/assets/model/churn/1")
    up = svg(html, "up")
    assert 'data-node="dataset:credit@1"' in up and 'href="/ui/assets/dataset/credit/1"' in up
    assert f'data-node="run:{registry.fit}"' in up and f'href="/ui/runs/{registry.fit}"' in up
    assert f'data-node="run:{registry.ingest}"' in up  # two steps up: who made the dataset
    assert f">run {registry.fit[:8]}</text>" in up and ">fit · finished</text>" in up
    assert ">dataset:credit@1</text>" in up
    assert 'class="node node-run kind-run"' in up and 'class="node node-version kind-dataset"' in up
    assert 'class="node node-version kind-model root"' in up
    assert up.count('class="edge rel-') == 3
    assert '<path class="edge rel-consumed"' in up and ">consumed</text>" in up
    assert 'marker-end="url(#lineage-up-arrow-produced)"' in up
    assert "Nothing recorded downstream" in html  # nothing read churn@1 yet

    down = svg(get_page(client, "/ui/assets/dataset/credit/1"), "down")
    for node in (f"run:{registry.fit}", "model:churn@1", "model:churn@2"):
        assert f'data-node="{node}"' in down
    assert ">production</text>" in down  # an alias is a version node's detail line


def test_lineage_labels_are_escaped(client: TestClient, ws: Workspace) -> None:
    with sy.start_run("etl", name="<b>bold</b> & co", workspace=ws):
        register_files("dataset", "evil", {"a": b"a"}, workspace=ws)
    up = svg(get_page(client, "/ui/assets/dataset/evil/1"), "up")
    assert "<b>" not in up and "&lt;b&gt;bold&lt;/b&gt; &amp; co · finished" in up


def test_lineage_with_a_cycle_is_drawn(client: TestClient, ws: Workspace) -> None:
    with sy.start_run("etl", name="roundtrip", workspace=ws):
        register_files("dataset", "echo", {"a": b"a"}, workspace=ws)
        use("dataset:echo@1", workspace=ws)
    html = get_page(client, "/ui/assets/dataset/echo/1")
    assert 'class="edge rel-consumed backwards"' in svg(html, "up")
    assert 'class="edge rel-produced backwards"' in svg(html, "down")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/ui/assets/model/nope", "no model named &#39;nope&#39;"),
        ("/ui/assets/model/chrun/1", "closest: &#39;churn&#39;"),
        ("/ui/assets/model/churn/9", "9"),
        ("/ui/assets/model/churn/canary", "canary"),
        ("/ui/assets/model/churn/1/files/nothing.bin", "model:churn@1 has no file"),
    ],
)
def test_unknown_things_are_404_pages(
    client: TestClient, registry: Registry, url: str, message: str
) -> None:
    html = get_page(client, url, status=404)
    assert '<div class="error-status">404</div>' in html
    assert message in html


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/ui/assets/widget/churn", "unknown asset kind &#39;widget&#39;"),
        ("/ui/assets/model/churn/0", "asset versions start at 1"),
        ("/ui/assets/model/churn/Prod!", "neither a version number nor a valid alias"),
        ("/ui/assets/model/churn@2/1", "asset name &#39;churn@2&#39; is not valid"),
        ("/ui/assets/model/churn/1@2", "neither a version number nor a valid alias"),
    ],
)
def test_bad_references_are_400_pages(
    client: TestClient, registry: Registry, url: str, message: str
) -> None:
    html = get_page(client, url, status=400)
    assert '<div class="error-status">400</div>' in html
    assert message in html


def test_registry_pages_need_the_token(ws: Workspace, registry: Registry) -> None:
    client = TestClient(create_app(ws, token="tok"))
    r = client.get("/ui/assets/model/churn/1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next=")
    r = client.get("/ui/assets/model/churn/1/files/model.bin", follow_redirects=False)
    assert r.status_code == 303
    r = client.get("/ui/assets", headers={"Authorization": "Bearer tok"})
    assert r.status_code == 200, r.text


def test_layout_puts_causes_left_and_routes_long_edges_between_columns() -> None:
    edges = [("a", "r", "consumed"), ("r", "m", "produced"), ("a", "m", "derived_from")]
    widths = dict.fromkeys("arm", 100.0)
    up = layered_layout(["m", "r", "a"], edges, "m", grow="left", widths=widths)
    assert up.nodes["a"].x < up.nodes["r"].x < up.nodes["m"].x
    assert [n.layer for n in (up.nodes["m"], up.nodes["r"], up.nodes["a"])] == [0, 1, 2]
    long_edge = next(e for e in up.edges if e.label == "derived_from")
    assert " L" in long_edge.path  # it runs through the middle column at its waypoint
    assert all(e.label_x is not None for e in up.edges)
    down = layered_layout(["a", "r", "m"], edges, "a", grow="right", widths=widths)
    assert down.nodes["a"].x < down.nodes["r"].x < down.nodes["m"].x
    boxes = list(down.nodes.values())
    for one in boxes:  # nothing overlaps
        for other in boxes:
            if one is not other:
                assert (
                    one.x + one.w <= other.x
                    or other.x + other.w <= one.x
                    or one.y + one.h <= other.y
                    or other.y + other.h <= one.y
                )


def test_layout_of_a_wide_graph_stays_in_bounds() -> None:
    nodes = ["root"] + [f"run{i}" for i in range(12)] + [f"v{i}" for i in range(12)]
    edges = [(f"run{i}", "root", "produced") for i in range(12)]
    edges += [(f"v{i}", f"run{(i * 5) % 12}", "consumed") for i in range(12)]
    edges += [("root", "v3", "derived_from")]  # a cycle, drawn as a loop
    layout = layered_layout(nodes, edges, "root", grow="left", widths={})
    assert len(layout.nodes) == 25
    for box in layout.nodes.values():
        assert 0 <= box.x and box.x + box.w <= layout.width
        assert 0 <= box.y and box.y + box.h <= layout.height
    assert sum(e.backwards for e in layout.edges) == 1


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"schema": "not a schema", "stats": [1, 2]},
        {"schema": {"a": "int64", "b": {"type": "string", "nullable": True}}},
        {"schema": [{"name": "x"}], "stats": {"x": {"min": math.nan, "count": math.inf}}},
        {"columns": {"a": {"type": "int64", "count": 3, "nulls": 0, "true": 2}}},
        {"deep": {"a": [{"b": None}]}, "flag": True, "ratio": 0.125, "n": None},
    ],
)
def test_metadata_view_never_fails(metadata: dict[str, object]) -> None:
    view = metadata_view(metadata)
    assert view.raw.startswith("{")
    assert len(view.entries) + len(view.columns) >= (1 if metadata else 0)


def test_metadata_view_schema_dict_and_scalars() -> None:
    view = metadata_view({"schema": {"a": "int64"}, "flag": True, "ratio": 0.125, "n": None})
    assert [(c.name, c.type) for c in view.columns] == [("a", "int64")]
    assert [(e.key, e.text, e.block) for e in view.entries] == [
        ("flag", "true", False),
        ("ratio", "0.125", False),
        ("n", "null", False),
    ]
