"""Datasets without storage: tables in and out, statistics, Parquet, diffs, and packed folders.

Names are loaded on first use, so ``packing`` works without pyarrow and this
package costs nothing until a dataset is touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.assets.datasets.diff import ChangedRow, TableDiff, TypeChange, diff_tables
    from shipyard.assets.datasets.packing import (
        DirectFile,
        PackEntry,
        PlannedFile,
        PlannedPack,
        WrittenPack,
        iter_members,
        plan_packs,
        read_member,
        write_packs,
    )
    from shipyard.assets.datasets.parquet import parquet_bytes, read_parquet, write_parquet
    from shipyard.assets.datasets.stats import column_stats, schema_fields, table_stats
    from shipyard.assets.datasets.tables import convert, to_arrow, to_pandas, to_polars

_WHERE = {
    "ChangedRow": "diff",
    "TableDiff": "diff",
    "TypeChange": "diff",
    "diff_tables": "diff",
    "DirectFile": "packing",
    "PackEntry": "packing",
    "PlannedFile": "packing",
    "PlannedPack": "packing",
    "WrittenPack": "packing",
    "iter_members": "packing",
    "plan_packs": "packing",
    "read_member": "packing",
    "write_packs": "packing",
    "parquet_bytes": "parquet",
    "read_parquet": "parquet",
    "write_parquet": "parquet",
    "column_stats": "stats",
    "schema_fields": "stats",
    "table_stats": "stats",
    "convert": "tables",
    "to_arrow": "tables",
    "to_pandas": "tables",
    "to_polars": "tables",
}

__all__ = [
    "ChangedRow",
    "DirectFile",
    "PackEntry",
    "PlannedFile",
    "PlannedPack",
    "TableDiff",
    "TypeChange",
    "WrittenPack",
    "column_stats",
    "convert",
    "diff_tables",
    "iter_members",
    "parquet_bytes",
    "plan_packs",
    "read_member",
    "read_parquet",
    "schema_fields",
    "table_stats",
    "to_arrow",
    "to_pandas",
    "to_polars",
    "write_packs",
    "write_parquet",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
