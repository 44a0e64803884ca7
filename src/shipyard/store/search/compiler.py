"""Compile a parsed run filter and order into SQLAlchemy clauses over ``runs``.

Metrics, params and tags become correlated ``EXISTS`` subqueries, which keeps
``or`` and ``not`` correct. Sorting by a metric joins its latest value; when
the filter also bounds that same metric at the top level, the bound moves
into the join so that the database can walk the ``(key, value)`` index in
order and stop after one page: that is what keeps a sorted search over
100,000 runs in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    not_,
    or_,
    select,
)

from shipyard.core.errors import InvalidInput
from shipyard.store.records import RUN_STATUSES
from shipyard.store.search.parser import Comparison, Field, Logical, Node, OrderKey, Value
from shipyard.store.tables import experiments, latest_metrics, params, runs, tags

_NUMERIC_ATTRS = {"start_time", "end_time", "duration", "experiment_id"}


@dataclass
class CompiledSearch:
    where: list[ColumnElement[bool]] = field(default_factory=list)
    joins: list[tuple[Any, ColumnElement[bool], bool]] = field(default_factory=list)
    order: list[Any] = field(default_factory=list)

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        from_ = runs.join(experiments, experiments.c.id == runs.c.experiment_id)
        for table, on, outer in self.joins:
            from_ = from_.join(table, on, isouter=outer)
        stmt = stmt.select_from(from_)
        for clause in self.where:
            stmt = stmt.where(clause)
        return stmt.order_by(*self.order)


def compile_search(node: Node | None, order: list[OrderKey]) -> CompiledSearch:
    out = CompiledSearch()
    conjuncts: list[Node] = []
    if isinstance(node, Logical) and node.op == "and":
        conjuncts = list(node.items)
    elif node is not None:
        conjuncts = [node]
    for i, key in enumerate(order):
        if key.field.scope == "metrics":
            alias = latest_metrics.alias(f"sort_m{i}")
            on: ColumnElement[bool] = and_(
                alias.c.run_id == runs.c.id, alias.c.key == key.field.name
            )
            bounds = [
                c for c in conjuncts if isinstance(c, Comparison) and _is_metric_bound(c, key.field)
            ]
            for bound in bounds:
                conjuncts.remove(bound)
                on = and_(on, _compare(alias.c.value, bound, numeric=True))
            out.joins.append((alias, on, not bounds))
            col: Any = alias.c.value
            if not bounds:
                # Runs without the metric go last. A bound already excludes them, and
                # leaving this term out then lets the database walk the (key, value)
                # index in order and stop after one page.
                out.order.append(col.is_(None))
            out.order.append(col.desc() if key.descending else col.asc())
        elif key.field.scope in ("params", "tags"):
            table = params if key.field.scope == "params" else tags
            alias = table.alias(f"sort_{key.field.scope}{i}")
            on = and_(alias.c.run_id == runs.c.id, alias.c.key == key.field.name)
            out.joins.append((alias, on, True))
            out.order.append(alias.c.value.is_(None))
            cols = [alias.c.value]
            if key.field.scope == "params":
                # Numbers before text, numbers by value: the same order on every backend.
                out.order.append(alias.c.num.is_(None))
                cols = [alias.c.num, alias.c.value]
            for sort_col in cols:
                out.order.append(sort_col.desc() if key.descending else sort_col.asc())
        else:
            col = _attribute(key.field.name)
            # SQLite sorts NULL first and PostgreSQL last; put them last on both.
            out.order.append(col.is_(None))
            out.order.append(col.desc() if key.descending else col.asc())
    out.order.extend([runs.c.start_time.desc(), runs.c.id.desc()])
    out.where.extend(_node(c) for c in conjuncts)
    return out


def _is_metric_bound(node: Node, f: Field) -> bool:
    return (
        isinstance(node, Comparison)
        and node.field == f
        and node.op in ("=", "<", "<=", ">", ">=")
        and _is_number(node.values[0])
    )


def _node(node: Node) -> ColumnElement[bool]:
    if isinstance(node, Logical):
        parts = [_node(n) for n in node.items]
        if node.op == "and":
            return and_(*parts)
        if node.op == "or":
            return or_(*parts)
        return not_(parts[0])
    scope = node.field.scope
    if scope == "attributes":
        return _attribute_clause(node)
    if scope == "metrics":
        return _exists_clause(latest_metrics, node, "value", numeric=True)
    if scope == "params":
        numeric = bool(node.values) and all(_is_number(v) for v in node.values)
        return _exists_clause(params, node, "num" if numeric else "value", numeric=numeric)
    return _exists_clause(tags, node, "value", numeric=False)


def _exists_clause(table: Any, node: Comparison, column: str, numeric: bool) -> ColumnElement[bool]:
    base = and_(table.c.run_id == runs.c.id, table.c.key == node.field.name)
    if node.op in ("is_null", "not_null"):
        # A param logged as None has a row whose value is NULL: it "is null" too.
        has_value = and_(base, table.c.value.is_not(None)) if table is params else base
        present = exists(select(1).where(has_value))
        return not_(present) if node.op == "is_null" else present
    if node.op in ("!=", "not_in"):
        # "tags.team != 'risk'" also matches runs without the tag, as users expect.
        positive = Comparison(node.field, "=" if node.op == "!=" else "in", node.values)
        return not_(
            exists(select(1).where(and_(base, _compare(table.c[column], positive, numeric))))
        )
    return exists(select(1).where(and_(base, _compare(table.c[column], node, numeric))))


def _compare(col: Any, node: Comparison, numeric: bool) -> ColumnElement[bool]:
    values = [_coerce(v, numeric, node) for v in node.values]
    op = node.op
    if op in ("like", "ilike"):
        if numeric:
            raise InvalidInput(f"{op} works on text; {_name(node.field)} is compared as a number")
        matched: ColumnElement[bool] = col.like(values[0]) if op == "like" else col.ilike(values[0])
        return matched
    if op in ("in", "not_in"):
        member: ColumnElement[bool] = col.in_(values) if op == "in" else col.not_in(values)
        return member
    ops = {
        "=": col.__eq__,
        "!=": col.__ne__,
        "<": col.__lt__,
        "<=": col.__le__,
        ">": col.__gt__,
        ">=": col.__ge__,
    }
    result: ColumnElement[bool] = ops[op](values[0])
    return result


def _coerce(value: Value, numeric: bool, node: Comparison) -> Any:
    if numeric:
        if not _is_number(value):
            raise InvalidInput(
                f"{_name(node.field)} is a number; compare it with a number, not {value!r}"
            )
        return float(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def _attribute(name: str) -> Any:
    if name == "duration":
        return runs.c.end_time - runs.c.start_time
    if name == "experiment":
        return experiments.c.name
    return runs.c[name]


def _attribute_clause(node: Comparison) -> ColumnElement[bool]:
    name = node.field.name
    col = _attribute(name)
    if node.op == "is_null":
        return col.is_(None)  # type: ignore[no-any-return]
    if node.op == "not_null":
        return col.is_not(None)  # type: ignore[no-any-return]
    numeric = name in _NUMERIC_ATTRS
    if name == "status":
        bad = [v for v in node.values if v not in RUN_STATUSES]
        if bad and node.op not in ("like", "ilike"):
            raise InvalidInput(
                f"status {bad[0]!r} does not exist; use one of {', '.join(RUN_STATUSES)}"
            )
    if node.op in ("!=", "not_in") and not numeric and name == "parent_id":
        return or_(col.is_(None), _compare(col, node, numeric))
    return _compare(col, node, numeric)


def _is_number(value: Value) -> bool:
    return isinstance(value, float) and not isinstance(value, bool)


def _name(f: Field) -> str:
    return f.name if f.scope == "attributes" else f"{f.scope}.{f.name}"
