"""Traffic split between aliases and shadow copies, through a real server."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from shipyard.core.errors import InvalidInput
from shipyard.serving.config import ServeConfig, parse_split
from shipyard.serving.prediction_log import read_predictions
from shipyard.serving.traffic_split import TrafficSplit


def _send(url: str, count: int, body: dict, workers: int = 8, headers=None) -> list[dict]:
    def run(share: int) -> list[dict]:
        with httpx.Client(timeout=30) as client:
            out = []
            for _ in range(share):
                r = client.post(f"{url}/predict", json=body, headers=headers)
                assert r.status_code == 200, r.text
                out.append({**r.json(), "header": r.headers["x-shipyard-model-version"]})
            return out

    shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        return [a for part in pool.map(run, shares) for a in part]


def test_split_90_10_over_1000_requests(credit, serve, rows) -> None:
    with serve("model:credit", split=parse_split("production=90,challenger=10")) as server:
        answers = _send(server.url, 1000, {"records": [rows["high"]]})
        m = server.metrics()
        meta = httpx.get(f"{server.url}/metadata").json()
    by_alias = Counter(a["model"]["alias"] for a in answers)
    assert set(by_alias) == {"production", "challenger"}
    assert abs(by_alias["challenger"] / 1000 - 0.10) <= 0.04, by_alias
    for a in answers:  # each answer says who served it, and it really was that version
        version = a["model"]["version"]
        assert (a["model"]["alias"], version) in {("production", 1), ("challenger", 2)}
        assert a["predictions"] == ([1] if version == 1 else [0])
        assert a["header"] == str(version)
    assert (
        m["shipyard_requests_total{alias=challenger,status=200,version=2}"]
        == by_alias["challenger"]
    )
    assert meta["split"] == {"production": 90.0, "challenger": 10.0}
    assert [(r["label"], r["version"], r["weight"]) for r in meta["routes"]] == [
        ("production", 1, 90.0),
        ("challenger", 2, 10.0),
    ]


def test_a_route_key_sticks_to_one_alias(credit, serve, rows) -> None:
    with serve("model:credit", split={"production": 50, "challenger": 50}) as server:
        seen = {}
        for key in ("user-1", "user-2", "user-3", "user-4", "user-5", "user-6"):
            answers = _send(
                server.url,
                8,
                {"records": [rows["low"]]},
                workers=2,
                headers={"x-shipyard-route-key": key},
            )
            aliases = {a["model"]["alias"] for a in answers}
            assert len(aliases) == 1, (key, aliases)
            seen[key] = aliases.pop()
    assert set(seen.values()) == {"production", "challenger"}  # keys spread over both


def test_traffic_split_proportions_without_a_server() -> None:
    split = TrafficSplit(["a", "b", "c"], [70, 20, 10])
    counts = Counter(split.choose() for _ in range(20_000))
    assert abs(counts["a"] / 20_000 - 0.7) < 0.02 and abs(counts["c"] / 20_000 - 0.1) < 0.02
    keyed = Counter(split.choose(f"user-{i}") for i in range(20_000))
    assert abs(keyed["b"] / 20_000 - 0.2) < 0.02


def test_shadow_answers_are_logged_never_returned(credit, serve, rows, wait_for) -> None:
    with serve("model:credit@production", shadow="challenger", name="credit-shadowed") as server:
        answers = _send(server.url, 30, {"records": [rows["high"], rows["low"]]}, workers=3)
        assert {(a["model"]["alias"], a["model"]["version"]) for a in answers} == {
            ("production", 1)
        }
        assert all(a["predictions"] == [1, 0] for a in answers)  # v1's answers only
        shadows = wait_for(
            lambda: len(found := read_predictions("credit", shadow=True)) == 30 and found,
            what="30 shadow rows",
        )
        m = server.metrics()
    primaries = read_predictions("credit", shadow=False)
    assert len(primaries) == 30
    assert {p.request_id for p in shadows} == {a["request_id"] for a in answers}
    for row in shadows:
        assert (row.alias, row.version, row.shadow) == ("challenger", 2, True)
        assert row.outputs == [0, 1]  # v2's answers, kept in the log
        assert row.deployment == "credit-shadowed"
        assert row.inputs == {"income": [90.0, 10.0], "age": [40, 40]}
    assert m["shipyard_shadow_requests_total{alias=challenger,outcome=ok,version=2}"] == 30
    assert "shipyard_requests_total{alias=challenger,status=200,version=2}" not in m


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("production", "has no weight"),
        ("production=x", "is not a number"),
        ("production=-1", "must be a positive number"),
        ("production=1,production=2", "names production twice"),
        ("Prod=1", "is not valid"),
        ("", "is empty"),
    ],
)
def test_bad_split_flags(text, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_split(text)


def test_shadow_may_not_take_live_traffic_and_split_needs_aliases(credit) -> None:
    from shipyard.serving.source import parse_source

    with pytest.raises(InvalidInput, match="also takes live traffic"):
        ServeConfig("model:credit", split={"production": 1, "challenger": 1}, shadow="challenger")
    with pytest.raises(InvalidInput, match="pass model:credit with --split"):
        parse_source(ServeConfig("model:credit@3", split={"production": 1}))
    with pytest.raises(InvalidInput, match="already answers"):
        parse_source(ServeConfig("model:credit@production", shadow="production"))
    source = parse_source(
        ServeConfig("model:credit@production", split={"production": 9, "challenger": 1})
    )
    assert source.split == {"production": 9.0, "challenger": 1.0}
    # a dotted model name is a reference, not a file name; a path is a folder
    dotted = parse_source(ServeConfig("credit.v2@production"))
    assert (dotted.model, dotted.routes[0].label) == ("credit.v2", "production")
    pinned = parse_source(ServeConfig("model:credit@3"))
    assert (pinned.routes[0].label, pinned.routes[0].alias, pinned.movable) == ("v3", None, False)
