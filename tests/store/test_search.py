"""The run filter language on SQLite and PostgreSQL: one data set, many questions.

The data set is built once per backend (``module_store``); every case asks a
question whose answer is written out by hand below.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.store.records import MetricPoint, RunQuery
from shipyard.store.sql import SqlStore

PAGING_RUNS = 23


@dataclass
class Seeded:
    store: SqlStore
    search: int  # experiment ids
    other: int
    paging: int
    ids: dict[str, str]  # run name -> id


def _run(
    store: SqlStore,
    exp: int,
    name: str,
    params: dict[str, object],
    tags: dict[str, str],
    metrics: dict[str, float],
    status: str,
    parent: str | None = None,
) -> str:
    run = store.runs.create(exp, name, params=params, tags=tags, parent_id=parent)  # type: ignore[arg-type]
    store.run_data.log_batch(run.id, metrics=[MetricPoint(k, v, 0, 1) for k, v in metrics.items()])
    if status != "running":
        store.runs.finish(run.id, status)  # type: ignore[arg-type]
    time.sleep(0.003)  # distinct start and end times, so the order is known
    return run.id


@pytest.fixture(scope="module")
def seeded(module_store: SqlStore) -> Seeded:
    s = module_store
    search = s.experiments.get_or_create("search").id
    other = s.experiments.get_or_create("other").id
    paging = s.experiments.get_or_create("paging").id
    ids: dict[str, str] = {}
    # created in this order: start_time ascending alpha → epsilon
    ids["alpha"] = _run(
        s, search, "alpha",
        {"model": "gbm", "lr": 0.1, "depth": 3, "flag": True},
        {"team": "risk", "stage": "dev"},
        {"auc": 0.91, "loss": 0.3},
        "finished",
    )  # fmt: skip
    ids["beta"] = _run(
        s, search, "beta",
        {"model": "linear", "lr": 0.01, "depth": 10, "flag": False},
        {"team": "growth"},
        {"auc": 0.75, "loss": 0.5},
        "failed",
    )  # fmt: skip
    ids["gamma"] = _run(
        s, search, "gamma",
        {"model": "gbm", "lr": 1, "depth": "deep"},
        {"stage": "prod"},
        {"auc": 0.85, "loss": math.nan},
        "running",
    )  # fmt: skip
    ids["delta"] = _run(
        s, search, "delta", {"model": "GBM-xl", "lr": None}, {"team": "risk"}, {}, "killed"
    )
    ids["epsilon"] = _run(
        s, search, "epsilon",
        {},
        {"team": "ops"},
        {"auc": math.inf, "точность": 0.99, "val loss": 0.1},
        "finished",
    )  # fmt: skip
    ids["zeta"] = _run(
        s, other, "zeta", {"model": "gbm"}, {}, {"auc": 0.95}, "finished", parent=ids["alpha"]
    )
    for i in range(PAGING_RUNS):
        run = s.runs.create(paging, f"p{i:02d}", params={"idx": i})
        s.run_data.log_batch(run.id, metrics=[MetricPoint("score", float(i % 4), 0, 1)])
    return Seeded(s, search, other, paging, ids)


def _names(seeded: Seeded, filter: str, experiments: list[int] | None = None) -> set[str]:
    page = seeded.store.runs.search(
        RunQuery(
            experiment_ids=experiments or [seeded.search, seeded.other],
            filter=filter,
            max_results=1000,
        )
    )
    return {r.name for r in page.runs}


def _ordered(seeded: Seeded, order_by: list[str], filter: str | None = None) -> list[str]:
    page = seeded.store.runs.search(
        RunQuery(experiment_ids=[seeded.search], filter=filter, order_by=order_by)
    )
    return [r.name for r in page.runs]


ALL = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}

FILTERS: list[tuple[str, set[str]]] = [
    # metrics compare the latest value as a number
    ("metrics.auc > 0.8", {"alpha", "gamma", "epsilon", "zeta"}),
    ("metrics.auc >= 0.75 and metrics.auc < 0.9", {"beta", "gamma"}),
    ("metrics.auc = 0.91", {"alpha"}),
    ("metric.auc == 0.91", {"alpha"}),
    ("metrics.auc <> 0.91", ALL - {"alpha"}),
    ("metrics.auc != 0.91", ALL - {"alpha"}),  # runs without the metric too
    ("metrics.auc > -1e9", ALL - {"delta"}),
    ("metrics.auc > 1e308", {"epsilon"}),  # +inf
    ("metrics.loss < 1", {"alpha", "beta"}),  # NaN compares with nothing
    ("metrics.loss is null", {"delta", "epsilon", "zeta"}),  # never logged
    ("metrics.loss is not null", {"alpha", "beta", "gamma"}),
    ("metrics.точность > 0.5", {"epsilon"}),
    ("metrics.`val loss` < 0.2", {"epsilon"}),
    ('metrics."val loss" < 0.2', {"epsilon"}),
    # params: numbers compare as numbers, text as text
    ("params.model = 'gbm'", {"alpha", "gamma", "zeta"}),
    ('params.model = "gbm"', {"alpha", "gamma", "zeta"}),
    ("params.model != 'gbm'", {"beta", "delta", "epsilon"}),  # epsilon has no model
    ("params.lr = 0.1", {"alpha"}),
    ("params.lr = 1e-1", {"alpha"}),
    ("params.lr < 0.5", {"alpha", "beta"}),
    ("params.lr >= 1", {"gamma"}),  # an int param compares with a float
    ("params.lr = 1", {"gamma"}),
    ("params.depth > 5", {"beta"}),  # the text 'deep' is not a number
    ("params.depth = 'deep'", {"gamma"}),
    ("params.depth = '3'", {"alpha"}),  # text comparison of an int param
    ("params.flag = true", {"alpha"}),
    ("params.flag = false", {"beta"}),
    ("params.lr is null", {"delta", "epsilon", "zeta"}),  # None, or never logged
    ("params.lr is not null", {"alpha", "beta", "gamma"}),
    ("params.model in ('gbm', 'linear')", {"alpha", "beta", "gamma", "zeta"}),
    ("params.model not in ('gbm', 'linear')", {"delta", "epsilon"}),
    ("params.lr in (0.1, 0.01)", {"alpha", "beta"}),
    ("params.model like 'gbm%'", {"alpha", "gamma", "zeta"}),  # case-sensitive
    ("params.model ilike 'gbm%'", {"alpha", "gamma", "delta", "zeta"}),
    # tags: != and not in also match runs without the tag
    ("tags.team = 'risk'", {"alpha", "delta"}),
    ("tags.team != 'risk'", {"beta", "gamma", "epsilon", "zeta"}),
    ("not tags.team = 'risk'", {"beta", "gamma", "epsilon", "zeta"}),
    ("tags.team is null", {"gamma", "zeta"}),
    ("tags.team is not null", {"alpha", "beta", "delta", "epsilon"}),
    ("tags.team in ('risk', 'growth')", {"alpha", "beta", "delta"}),
    ("tags.team not in ('risk', 'growth')", {"gamma", "epsilon", "zeta"}),
    ("tag.stage like '%o%'", {"gamma"}),
    # attributes
    ("status = 'finished'", {"alpha", "epsilon", "zeta"}),
    ("attributes.status = 'running'", {"gamma"}),
    ("status in ('failed', 'killed')", {"beta", "delta"}),
    ("status != 'running'", ALL - {"gamma"}),
    ("name like 'a%'", {"alpha"}),
    ("name like 'A%'", set()),
    ("name ilike 'A%'", {"alpha"}),
    ("run_name like '%ta'", {"beta", "delta", "zeta"}),
    ("name = 'beta' or name = 'gamma'", {"beta", "gamma"}),
    ("experiment = 'other'", {"zeta"}),
    ("end_time is null", {"gamma"}),
    ("duration >= 0", ALL - {"gamma"}),
    ("start_time > 0", ALL),
    # logic: and binds tighter than or; not; parentheses
    (
        "(metrics.auc > 0.9 or params.model = 'linear') and status != 'running'",
        {"alpha", "beta", "epsilon", "zeta"},
    ),
    (
        "metrics.auc > 0.9 or params.model = 'linear' and status = 'running'",
        {"alpha", "epsilon", "zeta"},
    ),
    ("not (status = 'finished' or status = 'failed')", {"gamma", "delta"}),
    ("not not status = 'killed'", {"delta"}),
    ("((tags.team = 'risk'))", {"alpha", "delta"}),
    ("METRICS.auc > 0.8 AND Status = 'finished'", {"alpha", "epsilon", "zeta"}),
    ("", ALL),
    ("   ", ALL),
]


@pytest.mark.parametrize(("filter", "expected"), FILTERS, ids=[f for f, _ in FILTERS])
def test_filter(seeded: Seeded, filter: str, expected: set[str]) -> None:
    assert _names(seeded, filter) == expected


def test_filters_on_ids(seeded: Seeded) -> None:
    alpha, beta = seeded.ids["alpha"], seeded.ids["beta"]
    assert _names(seeded, f"run_id = '{beta}'") == {"beta"}
    assert _names(seeded, f"attributes.id in ('{alpha}', '{beta}')") == {"alpha", "beta"}
    assert _names(seeded, f"parent_id = '{alpha}'") == {"zeta"}
    assert _names(seeded, f"parent_id != '{alpha}'") == ALL - {"zeta"}
    assert _names(seeded, "parent_id is null") == ALL - {"zeta"}
    assert _names(seeded, f"experiment_id = {seeded.other}") == {"zeta"}


def test_experiment_and_parent_scopes(seeded: Seeded) -> None:
    only_other = seeded.store.runs.search(RunQuery(experiment_ids=[seeded.other]))
    assert [r.name for r in only_other.runs] == ["zeta"]
    children = seeded.store.runs.search(RunQuery(parent_id=seeded.ids["alpha"]))
    assert [r.name for r in children.runs] == ["zeta"]
    assert seeded.store.runs.search(RunQuery(experiment_ids=[])).runs == []


def test_results_are_whole_runs(seeded: Seeded) -> None:
    (run,) = seeded.store.runs.search(
        RunQuery(experiment_ids=[seeded.search], filter="name = 'alpha'")
    ).runs
    assert run.params == {"model": "gbm", "lr": 0.1, "depth": 3, "flag": True}
    assert run.tags == {"team": "risk", "stage": "dev"}
    assert run.metrics == {"auc": 0.91, "loss": 0.3}
    assert run.experiment == "search"


ORDERS: list[tuple[list[str], str | None, list[str]]] = [
    ([], None, ["epsilon", "delta", "gamma", "beta", "alpha"]),  # newest first
    (["metrics.auc desc"], None, ["epsilon", "alpha", "gamma", "beta", "delta"]),
    (["metrics.auc asc"], None, ["beta", "gamma", "alpha", "epsilon", "delta"]),
    (["metrics.auc"], None, ["beta", "gamma", "alpha", "epsilon", "delta"]),
    # NaN and missing values sort last in both directions, newest first among them
    (["metrics.loss asc"], None, ["alpha", "beta", "epsilon", "delta", "gamma"]),
    (["metrics.loss desc"], None, ["beta", "alpha", "epsilon", "delta", "gamma"]),
    (["params.lr asc"], None, ["beta", "alpha", "gamma", "epsilon", "delta"]),
    (["params.lr desc"], None, ["gamma", "alpha", "beta", "epsilon", "delta"]),
    # numbers before text, numbers by value (10 after 3), then missing
    (["params.depth asc"], None, ["alpha", "beta", "gamma", "epsilon", "delta"]),
    (["params.depth desc"], None, ["beta", "alpha", "gamma", "epsilon", "delta"]),
    (["tags.team asc"], None, ["beta", "epsilon", "delta", "alpha", "gamma"]),
    (["tags.team desc"], None, ["delta", "alpha", "epsilon", "beta", "gamma"]),
    (["name asc"], None, ["alpha", "beta", "delta", "epsilon", "gamma"]),
    (["name desc"], None, ["gamma", "epsilon", "delta", "beta", "alpha"]),
    (["start_time asc"], None, ["alpha", "beta", "gamma", "delta", "epsilon"]),
    (["attributes.start_time desc"], None, ["epsilon", "delta", "gamma", "beta", "alpha"]),
    # a running run has no end time: last both ways
    (["end_time asc"], None, ["alpha", "beta", "delta", "epsilon", "gamma"]),
    (["end_time desc"], None, ["epsilon", "delta", "beta", "alpha", "gamma"]),
    (["duration desc"], None, None),  # type: ignore[list-item]  # only "gamma last" is known
    (["tags.stage asc", "metrics.auc desc"], None, ["alpha", "gamma", "epsilon", "beta", "delta"]),
    # a filter bound on the sorted metric
    (["metrics.auc asc"], "metrics.auc > 0.8", ["gamma", "alpha", "epsilon"]),
    (["metrics.auc desc"], "metrics.auc > 0.8 and tags.team = 'risk'", ["alpha"]),
    (
        ["metrics.auc desc"],
        "metrics.auc > 0.8 or tags.team = 'risk'",
        ["epsilon", "alpha", "gamma", "delta"],
    ),
    (["METRICS.auc DESC"], "metrics.auc <= 0.85", ["gamma", "beta"]),
]


@pytest.mark.parametrize(
    ("order_by", "filter", "expected"), ORDERS, ids=[f"{o}|{f}" for o, f, _ in ORDERS]
)
def test_order(
    seeded: Seeded, order_by: list[str], filter: str | None, expected: list[str] | None
) -> None:
    got = _ordered(seeded, order_by, filter)
    if expected is None:
        assert got[-1] == "gamma" and sorted(got) == sorted(ALL - {"zeta"})
    else:
        assert got == expected


def _all_pages(seeded: Seeded, size: int, **query: object) -> tuple[list[str], int]:
    names: list[str] = []
    pages = 0
    token: str | None = None
    while True:
        page = seeded.store.runs.search(
            RunQuery(experiment_ids=[seeded.paging], max_results=size, page_token=token, **query)  # type: ignore[arg-type]
        )
        pages += 1
        assert len(page.runs) <= size
        names.extend(r.name for r in page.runs)
        token = page.next_page_token
        if token is None:
            return names, pages
        assert len(page.runs) == size


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ({}, PAGING_RUNS),
        ({"order_by": ["metrics.score desc"]}, PAGING_RUNS),  # many ties across pages
        ({"order_by": ["params.idx asc"]}, PAGING_RUNS),
        ({"order_by": ["metrics.score asc", "name desc"]}, PAGING_RUNS),
        ({"filter": "metrics.score >= 1", "order_by": ["metrics.score asc"]}, 17),
        ({"filter": "params.idx < 12", "order_by": ["name asc"]}, 12),
    ],
)
def test_pages_have_no_duplicates_or_gaps(
    seeded: Seeded, query: dict[str, object], count: int
) -> None:
    whole = seeded.store.runs.search(
        RunQuery(experiment_ids=[seeded.paging], max_results=1000, **query)  # type: ignore[arg-type]
    )
    assert whole.next_page_token is None
    expected = [r.name for r in whole.runs]
    assert len(expected) == count
    names, pages = _all_pages(seeded, 5, **query)
    assert names == expected
    assert len(set(names)) == count
    assert pages == math.ceil(count / 5)
    assert pages > 2


def test_page_of_exact_size_has_no_next_token(seeded: Seeded) -> None:
    page = seeded.store.runs.search(
        RunQuery(experiment_ids=[seeded.paging], max_results=PAGING_RUNS)
    )
    assert len(page.runs) == PAGING_RUNS
    assert page.next_page_token is None


def test_sorted_by_params_pages_follow_numeric_order(seeded: Seeded) -> None:
    names, _ = _all_pages(seeded, 4, order_by=["params.idx desc"])
    assert names == [f"p{i:02d}" for i in reversed(range(PAGING_RUNS))]


@pytest.mark.parametrize(
    ("filter", "message"),
    [
        ("metrics.auc > > 0.9", "position 15"),
        ("metrics.auc > 0.9 and", "position 22: expected a field"),
        ("foo = 1", "position 1: unknown field 'foo'"),
        ("metrics = 1", "position 1: unknown field 'metrics'"),
        ("attributes.colour = 'x'", "position 12: unknown attribute 'colour'"),
        ("metrics. > 1", "position 10: expected a name after 'metrics.'"),
        ("(metrics.auc > 1", "position 17: expected ')'"),
        ("name = 'abc", "position 8: unexpected character"),
        ("name like 3", "position 6: like needs a quoted pattern"),
        ("tags.team is nul", "position 14: expected 'null'"),
        ("tags.team not like 'x'", "position 15: expected 'in' after 'not'"),
        ("tags.team in ()", "position 15: expected a value"),
        ("metrics.auc 0.9", "position 13: expected a comparison"),
        ("metrics.auc > 0.9 metrics.loss < 1", "position 19: expected 'and', 'or'"),
        ("status = 'done'", "status 'done' does not exist; use one of running, finished"),
        ("status in ('finished', 'bogus')", "status 'bogus' does not exist"),
        ("metrics.auc = 'high'", "metrics.auc is a number; compare it with a number"),
        ("metrics.auc like '%'", "is a number"),
        ("duration like '1%'", "is a number"),
        ("start_time = 'yesterday'", "start_time is a number"),
        ("metrics.auc > 1 and $", "position 21: unexpected character '$'"),
    ],
)
def test_bad_filters_are_invalid_input_with_a_position(
    seeded: Seeded, filter: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=_escaped(message)):
        seeded.store.runs.search(RunQuery(filter=filter))


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ("metrics.auc sideways", "order error at position 13"),
        ("metrics.auc desc extra", "order error at position 18"),
        ("bogus desc", "unknown field 'bogus'"),
        ("", "expected a field"),
    ],
)
def test_bad_order_is_invalid_input(seeded: Seeded, order: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=_escaped(message)):
        seeded.store.runs.search(RunQuery(order_by=[order]))


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "!!!",
        "e30=",
        "W10=",
        "bnVsbA==",
        "eyJvZmZzZXQiOiAtMX0=",
        "é",
        "eyJvZmZzZXQiOiAiMSJ9",
    ],
)
def test_bad_page_token_is_invalid_input(seeded: Seeded, token: str) -> None:
    with pytest.raises(InvalidInput, match="page token is not one this server issued"):
        seeded.store.runs.search(RunQuery(page_token=token))


@pytest.mark.parametrize("size", [0, -1, 10_001])
def test_page_size_is_bounded(seeded: Seeded, size: int) -> None:
    with pytest.raises(InvalidInput, match="max_results must be between 1 and 10,000"):
        seeded.store.runs.search(RunQuery(max_results=size))
