"""What changed between two versions of a table: schema, and rows added, removed or changed.

Two modes:

- **by key** (``key=["id"]``): rows are matched on the key columns, which must
  be unique in each version. A key only in new is *added*, only in old is
  *removed*; a key in both whose other shared columns differ is *changed*,
  with counts per column and examples showing old and new values.
- **by row hash** (no key): each version is a multiset of rows; *added* and
  *removed* count the rows whose copies grew or shrank (a row duplicated once
  more is one added row). Without a key an edit is one removal plus one addition.

Rows are compared on the columns both versions share; added and removed
columns are reported as schema changes, not as every row changing. A column
whose type changed is compared after a cast (``rowcodes.joint_codes``). Null
equals null and NaN equals NaN. The work is Arrow hash kernels and NumPy
vector operations, so a million rows take about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from shipyard.assets.datasets.optional import missing_dependency
from shipyard.assets.datasets.rowcodes import Codes, joint_codes, row_codes
from shipyard.assets.datasets.tables import to_arrow
from shipyard.assets.datasets.values import JsonValue, to_json_row
from shipyard.core.errors import InvalidInput

try:
    import pyarrow as pa  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - exercised only without pyarrow
    raise missing_dependency("pyarrow", "shipyard datasets") from exc

EXAMPLES = 10


@dataclass(frozen=True)
class TypeChange:
    column: str
    old_type: str
    new_type: str


@dataclass(frozen=True)
class ChangedRow:
    """One changed row: its key, and ``column -> (old value, new value)`` for what changed."""

    key: dict[str, JsonValue]
    changes: dict[str, tuple[JsonValue, JsonValue]]


@dataclass(frozen=True)
class TableDiff:
    """The difference between an old and a new table; ``to_dict`` is strict JSON."""

    key: tuple[str, ...] | None
    old_rows: int
    new_rows: int
    added_columns: dict[str, str] = field(default_factory=dict)
    removed_columns: dict[str, str] = field(default_factory=dict)
    type_changes: tuple[TypeChange, ...] = ()
    compared_columns: tuple[str, ...] = ()
    rows_added: int = 0
    rows_removed: int = 0
    rows_changed: int | None = None
    rows_unchanged: int = 0
    changed_by_column: dict[str, int] = field(default_factory=dict)
    changed_examples: tuple[ChangedRow, ...] = ()
    added_examples: tuple[dict[str, JsonValue], ...] = ()
    removed_examples: tuple[dict[str, JsonValue], ...] = ()

    @property
    def mode(self) -> Literal["key", "hash"]:
        return "hash" if self.key is None else "key"

    @property
    def schema_changed(self) -> bool:
        return bool(self.added_columns or self.removed_columns or self.type_changes)

    @property
    def is_empty(self) -> bool:
        """True when nothing changed: same schema and the same rows."""
        rows = self.rows_added or self.rows_removed or self.rows_changed
        return not self.schema_changed and not rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "key": list(self.key) if self.key else None,
            "rows": {"old": self.old_rows, "new": self.new_rows},
            "schema": {
                "added": self.added_columns,
                "removed": self.removed_columns,
                "type_changes": [vars(c) for c in self.type_changes],
            },
            "compared_columns": list(self.compared_columns),
            "rows_added": self.rows_added,
            "rows_removed": self.rows_removed,
            "rows_changed": self.rows_changed,
            "rows_unchanged": self.rows_unchanged,
            "changed_by_column": self.changed_by_column,
            "examples": {
                "added": list(self.added_examples),
                "removed": list(self.removed_examples),
                "changed": [
                    {"key": r.key, "changes": {c: list(v) for c, v in r.changes.items()}}
                    for r in self.changed_examples
                ],
            },
        }

    def summary(self) -> str:
        """A few lines for a terminal: schema changes, row counts, columns that changed most."""
        lines = []
        for name, dtype in self.added_columns.items():
            lines.append(f"+ column {name}: {dtype}")
        for name, dtype in self.removed_columns.items():
            lines.append(f"- column {name}: {dtype}")
        for change in self.type_changes:
            lines.append(f"~ column {change.column}: {change.old_type} -> {change.new_type}")
        if not self.schema_changed:
            lines.append("schema unchanged")
        how = f"by key {', '.join(self.key)}" if self.key else "by row hash"
        counts = f"+{self.rows_added:,} added, -{self.rows_removed:,} removed"
        if self.rows_changed is not None:
            counts += f", ~{self.rows_changed:,} changed"
        counts += f", {self.rows_unchanged:,} unchanged"
        lines.append(f"rows {self.old_rows:,} -> {self.new_rows:,} ({counts}; {how})")
        if self.changed_by_column:
            top = sorted(self.changed_by_column.items(), key=lambda kv: (-kv[1], kv[0]))
            lines.append("changed columns: " + ", ".join(f"{c} {n:,}" for c, n in top[:10]))
        return "\n".join(lines)


def diff_tables(
    old: object, new: object, key: Sequence[str] | str | None = None, examples: int = EXAMPLES
) -> TableDiff:
    """Compare two tables (anything ``to_arrow`` accepts); by ``key`` columns when given."""
    old_t, new_t = to_arrow(old), to_arrow(new)
    old_types = {f.name: f.type for f in old_t.schema}
    new_types = {f.name: f.type for f in new_t.schema}
    shared = tuple(n for n in new_t.column_names if n in old_types)
    schema: dict[str, Any] = {
        "added_columns": {n: str(t) for n, t in new_types.items() if n not in old_types},
        "removed_columns": {n: str(t) for n, t in old_types.items() if n not in new_types},
        "type_changes": tuple(
            TypeChange(n, str(old_types[n]), str(new_types[n]))
            for n in shared
            if not old_types[n].equals(new_types[n])
        ),
        "compared_columns": shared,
        "old_rows": old_t.num_rows,
        "new_rows": new_t.num_rows,
    }
    if key is None:
        return _by_hash(old_t, new_t, shared, examples, schema)
    keys = (key,) if isinstance(key, str) else tuple(key)
    if not keys:
        raise InvalidInput("key must name at least one column (or pass none to diff by row hash)")
    for name in keys:
        if name not in old_types or name not in new_types:
            where = "old" if name not in old_types else "new"
            raise InvalidInput(f"key column {name!r} is not in the {where} table")
    return _by_key(old_t, new_t, keys, shared, examples, schema)


def _by_hash(
    old: pa.Table, new: pa.Table, shared: tuple[str, ...], n_examples: int, schema: dict[str, Any]
) -> TableDiff:
    if shared:
        old_codes, new_codes, k = row_codes(old, new, shared)
    else:  # nothing to compare on: every old row is gone, every new row is new
        old_codes = np.arange(old.num_rows, dtype=np.int64)
        new_codes = np.arange(new.num_rows, dtype=np.int64) + old.num_rows
        k = old.num_rows + new.num_rows
    old_counts = np.bincount(old_codes, minlength=k)
    new_counts = np.bincount(new_codes, minlength=k)
    grown = np.maximum(new_counts - old_counts, 0)
    shrunk = np.maximum(old_counts - new_counts, 0)
    return TableDiff(
        key=None,
        rows_added=int(grown.sum()),
        rows_removed=int(shrunk.sum()),
        rows_unchanged=int(np.minimum(old_counts, new_counts).sum()),
        added_examples=_rows(new, _first_per_code(new_codes, grown, n_examples)),
        removed_examples=_rows(old, _first_per_code(old_codes, shrunk, n_examples)),
        **schema,
    )


def _by_key(
    old: pa.Table,
    new: pa.Table,
    keys: tuple[str, ...],
    shared: tuple[str, ...],
    n_examples: int,
    schema: dict[str, Any],
) -> TableDiff:
    old_keys, new_keys, k = row_codes(old, new, keys)
    where_old = _positions(old_keys, k, old, keys, "old")
    where_new = _positions(new_keys, k, new, keys, "new")
    matched_old = np.flatnonzero(where_new[old_keys] >= 0)
    matched_new = where_new[old_keys[matched_old]]
    removed = np.flatnonzero(where_new[old_keys] < 0)
    added = np.flatnonzero(where_old[new_keys] < 0)

    changed = np.zeros(len(matched_old), dtype=bool)
    by_column: dict[str, int] = {}
    first_changes: dict[str, Codes] = {}
    for name in (c for c in shared if c not in keys):
        old_codes, new_codes, _ = joint_codes(old.column(name), new.column(name))
        differs = old_codes[matched_old] != new_codes[matched_new]
        if count := int(differs.sum()):
            by_column[name] = count
            first_changes[name] = np.flatnonzero(differs)[:n_examples]
            changed |= differs
    # The first N changed rows overall are among each column's first N changes.
    picks = np.unique(np.concatenate([np.zeros(0, np.int64), *first_changes.values()]))
    picks = picks[:n_examples]
    examples = []
    for p, o, n in zip(
        picks.tolist(),
        _rows(old, matched_old[picks]),
        _rows(new, matched_new[picks]),
        strict=True,
    ):
        columns = [c for c in by_column if p in first_changes[c]]
        changes = {c: (o[c], n[c]) for c in columns}
        examples.append(ChangedRow(key={c: o[c] for c in keys}, changes=changes))
    n_changed = int(changed.sum())
    return TableDiff(
        key=keys,
        rows_added=len(added),
        rows_removed=len(removed),
        rows_changed=n_changed,
        rows_unchanged=len(matched_old) - n_changed,
        changed_by_column=by_column,
        changed_examples=tuple(examples),
        added_examples=_rows(new.select(list(keys)), added[:n_examples]),
        removed_examples=_rows(old.select(list(keys)), removed[:n_examples]),
        **schema,
    )


def _positions(codes: Codes, k: int, table: pa.Table, keys: tuple[str, ...], which: str) -> Codes:
    """Row index of each key code (-1 where absent); ``InvalidInput`` on a repeated key."""
    counts = np.bincount(codes, minlength=k)
    if len(counts) and counts.max() > 1:
        row = int(np.flatnonzero(counts[codes] > 1)[0])
        example = to_json_row(table.select(list(keys)).slice(row, 1).to_pylist()[0])
        raise InvalidInput(
            f"key {', '.join(keys)} is not unique in the {which} table "
            f"({int((counts > 1).sum()):,} repeated keys, e.g. {example}); "
            "pass columns that identify one row each, or no key to diff by row hash"
        )
    where = np.full(k, -1, dtype=np.int64)
    where[codes] = np.arange(len(codes), dtype=np.int64)
    return where


def _first_per_code(codes: Codes, surplus: Codes, limit: int) -> Codes:
    """Row indices of the first row of each code with a surplus, in table order, at most ``limit``."""
    rows = np.flatnonzero(surplus[codes] > 0)
    _, first = np.unique(codes[rows], return_index=True)
    out: Codes = np.sort(rows[first])[:limit]
    return out


def _rows(table: pa.Table, indices: Codes) -> tuple[dict[str, JsonValue], ...]:
    return tuple(to_json_row(r) for r in table.take(pa.array(indices, pa.int64())).to_pylist())
