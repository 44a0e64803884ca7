"""The filter parser on its own: the tree it builds, independent of any database."""

from __future__ import annotations

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.store.search import Comparison, Field, Logical, OrderKey, parse_filter, parse_order


def test_and_binds_tighter_than_or() -> None:
    node = parse_filter("metrics.a > 1 or params.b = 'x' and tags.c != 'y'")
    assert node == Logical(
        "or",
        (
            Comparison(Field("metrics", "a"), ">", (1.0,)),
            Logical(
                "and",
                (
                    Comparison(Field("params", "b"), "=", ("x",)),
                    Comparison(Field("tags", "c"), "!=", ("y",)),
                ),
            ),
        ),
    )


def test_parentheses_and_not() -> None:
    node = parse_filter("not (status = 'failed' or status = 'killed')")
    assert isinstance(node, Logical) and node.op == "not"
    (inner,) = node.items
    assert isinstance(inner, Logical) and inner.op == "or"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("metric.auc = 1", Field("metrics", "auc")),
        ("param.lr = 1", Field("params", "lr")),
        ("tag.team = 'x'", Field("tags", "team")),
        ("attr.status = 'running'", Field("attributes", "status")),
        ("run.duration_ms > 1", Field("attributes", "duration")),
        ("run_id = 'ab'", Field("attributes", "id")),
        ("metrics.`my metric/with.dots` = 1", Field("metrics", "my metric/with.dots")),
        ("metrics.val-loss = 1", Field("metrics", "val-loss")),
        ("metrics.精度 = 1", Field("metrics", "精度")),
        ("metrics.`🚀` = 1", Field("metrics", "🚀")),
    ],
)
def test_field_forms(text: str, field: Field) -> None:
    node = parse_filter(text)
    assert isinstance(node, Comparison)
    assert node.field == field


@pytest.mark.parametrize(
    ("text", "op", "values"),
    [
        ("params.a in (1, 'x', true)", "in", (1.0, "x", True)),
        ("params.a NOT IN ('x')", "not_in", ("x",)),
        ("params.a IS NULL", "is_null", ()),
        ("params.a is not null", "not_null", ()),
        ("params.a ILIKE '%X%'", "ilike", ("%X%",)),
        ("params.a = 'it\\'s'", "=", ("it's",)),
        ("params.a = -2.5e-3", "=", (-0.0025,)),
        ("params.a == .5", "=", (0.5,)),
        ("params.a <> false", "!=", (False,)),
    ],
)
def test_operators_and_values(text: str, op: str, values: tuple[object, ...]) -> None:
    node = parse_filter(text)
    assert isinstance(node, Comparison)
    assert (node.op, node.values) == (op, values)


def test_empty_filter_is_none() -> None:
    assert parse_filter("") is None
    assert parse_filter("  \n ") is None


def test_order_terms() -> None:
    assert parse_order("metrics.auc") == OrderKey(Field("metrics", "auc"), False)
    assert parse_order("metrics.auc DESC") == OrderKey(Field("metrics", "auc"), True)
    assert parse_order("start_time asc") == OrderKey(Field("attributes", "start_time"), False)


def test_error_position_counts_from_one() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_filter("metrics.auc > > 0.9")
    assert info.value.message.startswith("filter error at position 15: expected a value")
    assert info.value.status == 400
