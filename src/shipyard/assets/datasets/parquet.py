"""Parquet bytes that depend only on the table, so the blob digest dedupes versions.

The same table always gives the same bytes (with one pyarrow version), because:

- every writer option is pinned here (format version, data page version,
  compression codec and level, page size, write batch size, dictionary page
  limit, statistics on, page index and checksums off), so a pyarrow release
  that changes a default does not change our files silently;
- the row-group size is fixed in rows (``ROW_GROUP_ROWS``), and the table is
  rewritten as one chunk per column first (``combine_chunks``): pyarrow cuts
  pages at chunk boundaries, so the same rows split into batches differently
  (a CSV read in blocks, a concatenation) would otherwise give other pages;
- nothing time- or machine-dependent goes in: Parquet has no timestamp field,
  the footer's ``created_by`` is the fixed ``parquet-cpp-arrow version X``,
  the only key-value metadata is the Arrow schema (``store_schema``, so types
  like large strings and time zones round-trip), and pandas's metadata (which
  embeds the pandas version) is already stripped by ``tables.to_arrow``.

``created_by`` carries the pyarrow version, so a pyarrow upgrade may give
different bytes for the same table: at most one extra version of unchanged
data after an upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from shipyard.assets.datasets.optional import missing_dependency
from shipyard.core.errors import InvalidInput

try:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - exercised only without pyarrow
    raise missing_dependency("pyarrow", "shipyard datasets") from exc

ROW_GROUP_ROWS = 1 << 20

WRITE_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "data_page_version": "1.0",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "dictionary_pagesize_limit": 1 << 20,
    "data_page_size": 1 << 20,
    "write_batch_size": 1024,
    "write_statistics": True,
    "use_byte_stream_split": False,
    "use_compliant_nested_type": True,
    "coerce_timestamps": None,
    "allow_truncated_timestamps": False,
    "store_schema": True,
    "write_page_index": False,
    "write_page_checksum": False,
}


def write_parquet(table: pa.Table, where: str | Path | BinaryIO) -> None:
    """Write ``table`` to a path or a binary file object, deterministically."""
    pq.write_table(table.combine_chunks(), where, row_group_size=ROW_GROUP_ROWS, **WRITE_OPTIONS)


def parquet_bytes(table: pa.Table) -> bytes:
    """The deterministic Parquet encoding of ``table`` (for tables that fit in memory twice)."""
    sink = pa.BufferOutputStream()
    write_parquet(table, sink)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def read_parquet(
    source: bytes | str | Path | BinaryIO, columns: list[str] | None = None
) -> pa.Table:
    """Read Parquet from bytes, a path or a binary file object (optionally only ``columns``)."""
    if isinstance(source, bytes | bytearray | memoryview):
        source = pa.BufferReader(source)
    try:
        # Not pq.read_table: for anything but a path it reads through pyarrow.dataset,
        # whose threads outlive the script (pyarrow 26): the interpreter then aborts at
        # exit ("terminate called without an active exception", exit 134).
        with pq.ParquetFile(source) as parquet:  # closes the file only if it opened it (a path)
            return parquet.read(columns=columns)
    except pa.ArrowException as exc:
        raise InvalidInput(f"not a readable Parquet table: {exc}") from exc
