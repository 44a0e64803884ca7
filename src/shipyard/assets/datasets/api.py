"""``sy.datasets``: register tables and folders as dataset versions, load them back, diff them.

A table version is one deterministic Parquet file plus its schema and column
statistics in the version's metadata, so identical content is never stored
twice. A folder version packs small files into a few pack blobs (one blob per
64 MiB instead of one per file); any single file can still be read alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

from shipyard.assets.registry import read_file, register_files, resolve, use
from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef
from shipyard.store.asset_records import AssetFile, AssetVersion
from shipyard.workspace import Workspace, current_workspace

TABLE_FILE = "data.parquet"
Format = Literal["pandas", "polars", "arrow"]


def register(
    data: Any,
    name: str,
    *,
    derived_from: Sequence[str] = (),
    workspace: Workspace | None = None,
) -> AssetVersion:
    """Register ``data`` as the next version of ``dataset:NAME``.

    ``data`` is a pandas or polars DataFrame, an Arrow table, a path to a
    Parquet or CSV file, or a path to a folder of files. Identical content
    returns the latest version instead of making a new one.
    """
    if isinstance(data, str | os.PathLike) and Path(data).is_dir():
        return _register_folder(Path(data), name, derived_from, workspace)
    from shipyard.assets.datasets.parquet import parquet_bytes
    from shipyard.assets.datasets.stats import table_stats
    from shipyard.assets.datasets.tables import to_arrow

    table = to_arrow(data)
    metadata = {"format": "table", **table_stats(table)}
    version, _ = register_files(
        "dataset",
        name,
        {TABLE_FILE: parquet_bytes(table)},
        metadata,
        derived_from=derived_from,
        workspace=workspace,
    )
    return version


def _register_folder(
    root: Path, name: str, derived_from: Sequence[str], workspace: Workspace | None
) -> AssetVersion:
    from rich.progress import Progress

    from shipyard.assets.datasets.packing import DirectFile, plan_packs, write_packs

    ws = workspace or current_workspace()
    plan = plan_packs(root)
    entries: list[AssetFile] = []
    total = 0
    with Progress(transient=True) as bar:
        task = bar.add_task(f"storing {root.name}", total=len(plan))
        for item in write_packs(plan):
            if isinstance(item, DirectFile):
                with item.source.open("rb") as fh:
                    info = ws.blobs.put(fh)
                entries.append(AssetFile(item.path, info.digest, info.size))
                total += info.size
            else:
                with item.file.open("rb") as fh:
                    pack = ws.blobs.put(fh)
                entries.extend(
                    AssetFile(e.path, e.sha256, e.size, pack.digest, e.offset) for e in item.entries
                )
                total += sum(e.size for e in item.entries)
            bar.advance(task)
    if not entries:
        raise InvalidInput(f"folder {str(root)!r} holds no files to register")
    metadata = {"format": "folder", "files": len(entries), "bytes": total}
    version, _ = register_files(
        "dataset", name, {}, metadata, derived_from=derived_from, extra=entries, workspace=ws
    )
    return version


def load(ref: str | AssetRef, as_: Format = "pandas", *, workspace: Workspace | None = None) -> Any:
    """A table version as a pandas or polars DataFrame or an Arrow table."""
    from shipyard.assets.datasets.parquet import read_parquet
    from shipyard.assets.datasets.tables import convert

    version = use(ref, "dataset", workspace=workspace)
    if version.metadata.get("format") != "table":
        raise InvalidInput(
            f"{version.ref} is a folder of files, not a table; use "
            "sy.datasets.open_file(ref, path) or `shipyard assets download`"
        )
    with read_file(version, TABLE_FILE, workspace=workspace) as fh:
        table = read_parquet(fh)
    return convert(table, to=as_)


def open_file(ref: str | AssetRef, path: str, *, workspace: Workspace | None = None) -> BinaryIO:
    """One file of a folder version, read without fetching the rest."""
    return read_file(use(ref, "dataset", workspace=workspace), path, workspace=workspace)


def get(ref: str | AssetRef, *, workspace: Workspace | None = None) -> AssetVersion:
    """The version record (schema, row count and statistics are in ``.metadata``)."""
    return resolve(ref, "dataset", workspace=workspace)


def diff(
    old: str | AssetRef,
    new: str | AssetRef,
    key: Sequence[str] | str | None = None,
    *,
    workspace: Workspace | None = None,
) -> Any:
    """Schema changes and rows added, removed and changed between two table versions."""
    from shipyard.assets.datasets.diff import diff_tables

    a = load(old, "arrow", workspace=workspace)
    b = load(new, "arrow", workspace=workspace)
    return diff_tables(a, b, key=key)
