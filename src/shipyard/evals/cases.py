"""Eval datasets: ordinary dataset versions of cases, in one shape.

Every eval dataset is a table with one ``expected`` column (the right
answer), input columns (what the target is given, by column name), and
optional ``meta.*`` columns (``meta.source``, ``meta.difficulty``...) that
travel with each case into its results without being shown to the target.
``create_dataset`` renames the answer column to ``expected`` whatever it was
called, so evaluations, comparisons and the UI read every eval dataset the
same way; the version's metadata also records ``eval`` (expected column,
inputs, metadata columns, case count) so listings can tell eval datasets apart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shipyard.assets.registry import read_file, register_files, use
from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef
from shipyard.evals.results import CaseResult
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace, current_workspace

EXPECTED = "expected"
META_PREFIX = "meta."
MAX_DERIVED_LABELS = 20
_JSON_LINES = (".jsonl", ".ndjson")


def create_dataset(
    name: str,
    data: Any,
    *,
    expected: str = EXPECTED,
    inputs: Sequence[str] | None = None,
    derived_from: Sequence[str] = (),
    workspace: Workspace | None = None,
) -> AssetVersion:
    """Register ``data`` as the next version of ``dataset:NAME``, shaped as an eval dataset.

    ``data`` is a DataFrame (pandas, polars) or Arrow table, the path of a CSV,
    Parquet or JSON-lines (``.jsonl``) file, or a list of dicts (one per case).
    ``expected`` names the answer column (stored as ``expected``); ``inputs``
    keeps only those input columns (default: every column but the answer and
    ``meta.*``). Identical content returns the latest version.
    """
    from shipyard.assets.datasets.api import TABLE_FILE
    from shipyard.assets.datasets.parquet import parquet_bytes
    from shipyard.assets.datasets.stats import table_stats

    table = _shaped(_table(data), expected, inputs, f"the data for dataset:{name}")
    input_columns = _input_columns(table.column_names, None)
    metadata = {
        "format": "table",
        **table_stats(table),
        "eval": {
            "expected": EXPECTED,
            "inputs": input_columns,
            "metadata": [c for c in table.column_names if c.startswith(META_PREFIX)],
            "cases": table.num_rows,
        },
    }
    version, _ = register_files(
        "dataset",
        name,
        {TABLE_FILE: parquet_bytes(table)},
        metadata,
        derived_from=derived_from,
        workspace=workspace,
    )
    return version


def load_cases(
    ref: str | AssetRef,
    *,
    expected: str = EXPECTED,
    inputs: Sequence[str] | None = None,
    workspace: Workspace | None = None,
) -> tuple[AssetVersion, list[CaseResult]]:
    """The version ``ref`` names and its cases (inside a run, recorded as consumed).

    Each case is a ``CaseResult`` skeleton: ``index`` (the row number),
    ``inputs`` (input column → value), ``expected``, and ``metadata`` from the
    ``meta.*`` columns (without the prefix).
    """
    ws = workspace or current_workspace()
    version = use(ref, "dataset", workspace=ws)
    return version, read_cases(version, expected=expected, inputs=inputs, workspace=ws)


def read_cases(
    version: AssetVersion,
    *,
    expected: str = EXPECTED,
    inputs: Sequence[str] | None = None,
    workspace: Workspace | None = None,
) -> list[CaseResult]:
    """The cases of a resolved version, recording nothing (the runner records inside its run)."""
    from shipyard.assets.datasets.api import TABLE_FILE
    from shipyard.assets.datasets.parquet import read_parquet

    if version.metadata.get("format") != "table":
        raise InvalidInput(f"{version.ref} is a folder of files, not a table of eval cases")
    with read_file(version, TABLE_FILE, workspace=workspace) as fh:
        table = read_parquet(fh)
    columns = list(table.column_names)
    if expected not in columns:
        raise InvalidInput(_no_column(version.ref, expected, columns))
    chosen = _input_columns([c for c in columns if c != expected], inputs, version.ref)
    metas = [c for c in columns if c.startswith(META_PREFIX) and c != expected]
    cases = []
    for index, row in enumerate(table.to_pylist()):
        cases.append(
            CaseResult(
                index=index,
                inputs={c: row[c] for c in chosen},
                expected=row[expected],
                metadata={c[len(META_PREFIX) :]: row[c] for c in metas},
            )
        )
    return cases


def derived_labels(cases: Sequence[CaseResult]) -> list[str]:
    """The class labels of a classification eval, or ``[]`` when it does not look like one.

    Labels are derived when every expected value is a non-empty one-line
    string, there are at most ``MAX_DERIVED_LABELS`` distinct ones, and some
    repeat (a set of reference answers, each different, is not a label set).
    """
    values = [c.expected for c in cases]
    if not values or not all(isinstance(v, str) and v.strip() and "\n" not in v for v in values):
        return []
    distinct = sorted(set(values))
    if len(distinct) > MAX_DERIVED_LABELS or len(distinct) >= len(values):
        return []
    return distinct


def _no_column(where: str, expected: str, columns: Sequence[str]) -> str:
    return (
        f"{where} has no column {expected!r} (columns: {', '.join(columns)}); "
        "name the column with --expected"
    )


def _input_columns(
    columns: Sequence[str], inputs: Sequence[str] | None, where: str = "the data"
) -> list[str]:
    candidates = [c for c in columns if c != EXPECTED and not c.startswith(META_PREFIX)]
    if inputs is None:
        chosen = candidates
    else:
        if isinstance(inputs, str):
            inputs = [inputs]
        unknown = [c for c in inputs if c not in candidates]
        if unknown:
            raise InvalidInput(
                f"{where} has no input column(s) {', '.join(map(repr, unknown))} "
                f"(input columns: {', '.join(candidates) or 'none'})"
            )
        chosen = list(dict.fromkeys(inputs))
    if not chosen:
        raise InvalidInput(
            f"{where} has no input columns, only {', '.join(columns) or 'nothing'}; "
            "add the columns the target reads"
        )
    return chosen


def _shaped(table: Any, expected: str, inputs: Sequence[str] | None, where: str) -> Any:
    """``table`` with its answer column named ``expected`` and only the chosen inputs."""
    columns = list(table.column_names)
    if table.num_rows == 0:
        raise InvalidInput(f"{where} has no rows; an eval dataset needs at least one case")
    if expected not in columns:
        raise InvalidInput(_no_column(where, expected, columns))
    if expected != EXPECTED and EXPECTED in columns:
        raise InvalidInput(
            f"{where} has both {expected!r} and {EXPECTED!r} columns; the answer column is "
            f"stored as {EXPECTED!r}, so rename or drop one of them"
        )
    table = table.rename_columns([EXPECTED if c == expected else c for c in columns])
    names = [EXPECTED if c == expected else c for c in columns]
    chosen = _input_columns(names, inputs, where)
    metas = [c for c in names if c.startswith(META_PREFIX)]
    return table.select([*chosen, EXPECTED, *metas])


def _table(data: Any) -> Any:
    """Any accepted form of ``data`` as an Arrow table."""
    import pyarrow as pa  # type: ignore[import-untyped]

    from shipyard.assets.datasets.tables import to_arrow

    if isinstance(data, str | os.PathLike) and Path(data).name.lower().endswith(_JSON_LINES):
        return to_arrow(_from_rows(_read_json_lines(Path(data)), Path(data).name, pa))
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return to_arrow(_from_rows(data, "the list of cases", pa))
    return to_arrow(data)


def _from_rows(rows: Sequence[Any], where: str, pa: Any) -> Any:
    if not rows:
        raise InvalidInput(f"{where} has no cases; give at least one")
    keys: dict[str, None] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise InvalidInput(
                f"{where}: case {i} is a {type(row).__name__}; each case must be an object "
                'of column → value, e.g. {"text": "...", "expected": "positive"}'
            )
        keys.update(dict.fromkeys(str(k) for k in row))
    try:
        return pa.table({k: pa.array([row.get(k) for row in rows]) for k in keys})
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{where}: cannot make a table of these cases: {exc}. "
            "Give each column values of one type"
        ) from None


def _read_json_lines(path: Path) -> list[Any]:
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}")
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInput(
                    f"{path.name} line {number} is not valid JSON: {exc.msg} (column {exc.colno})"
                ) from None
    return rows
