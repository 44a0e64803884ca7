"""Batch inference input in chunks, and its output written atomically.

A Parquet file is read batch by batch (``ParquetFile.iter_batches``), so a
file larger than memory streams through. CSV, TSV and JSON Lines files, and
tables already in memory (pandas, polars, Arrow), are read whole and then
sliced: their column types are only known once every row has been seen.

The output is Parquet, written to a temporary file beside the target and
renamed over it at the end; a run that fails leaves no output file, and an
existing one untouched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from shipyard.core.errors import Failure, InvalidInput

PARQUET_SUFFIXES = (".parquet", ".pq")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Chunk:
    """Rows ``start`` … ``start + table.num_rows - 1`` of the input, as an Arrow table."""

    start: int
    table: Any  # pyarrow.Table


class TableInput:
    """The input of a batch job: its schema, its row count (when known) and its chunks.

    Args:
        source: the path of a ``.parquet``/``.pq``, ``.csv``/``.tsv`` or
            ``.jsonl``/``.ndjson`` file, or a pandas/polars DataFrame or Arrow table.
        batch_size: the most rows a chunk holds.
    """

    def __init__(self, source: object, batch_size: int) -> None:
        import pyarrow as pa  # type: ignore[import-untyped]

        if batch_size < 1:
            raise InvalidInput(f"batch size must be at least 1, got {batch_size}")
        self.batch_size = batch_size
        self.path: Path | None = None
        self._parquet: Any = None
        self._table: Any = None
        if isinstance(source, str | os.PathLike):
            self.path = Path(source)
            self._open_file(self.path)
        else:
            from shipyard.assets.datasets.tables import to_arrow

            self._table = to_arrow(source)
        schema = self._parquet.schema_arrow if self._parquet is not None else self._table.schema
        self.schema: pa.Schema = schema.remove_metadata()

    @property
    def label(self) -> str:
        """What the input is, for messages and run params."""
        return str(self.path) if self.path is not None else "<in-memory table>"

    @property
    def num_rows(self) -> int:
        if self._parquet is not None:
            return int(self._parquet.metadata.num_rows)
        return int(self._table.num_rows)

    def chunks(self) -> Iterator[Chunk]:
        """The input in order, at most ``batch_size`` rows at a time."""
        import pyarrow as pa

        start = 0
        if self._parquet is not None:
            try:
                for batch in self._parquet.iter_batches(batch_size=self.batch_size):
                    table = pa.Table.from_batches([batch]).replace_schema_metadata(None)
                    yield Chunk(start, table)
                    start += batch.num_rows
            except (pa.ArrowException, OSError) as exc:
                raise InvalidInput(f"cannot read {self.label}: {_first_line(exc)}") from exc
            return
        table = self._table.replace_schema_metadata(None)
        while start < table.num_rows:
            yield Chunk(start, table.slice(start, self.batch_size))
            start += self.batch_size

    def _open_file(self, path: Path) -> None:
        import pyarrow as pa

        if path.is_dir():
            raise InvalidInput(f"{path} is a folder; pass one .parquet, .csv or .jsonl file")
        if not path.is_file():
            raise InvalidInput(f"no input file at {path}")
        name = path.name.lower()
        try:
            if name.endswith(PARQUET_SUFFIXES):
                import pyarrow.parquet as pq  # type: ignore[import-untyped]

                self._parquet = pq.ParquetFile(path)
            elif name.endswith(_JSONL_SUFFIXES):
                import pyarrow.json as pjson  # type: ignore[import-untyped]

                self._table = pjson.read_json(path)
            else:
                from shipyard.assets.datasets.tables import read_table_file

                self._table = read_table_file(path)  # CSV/TSV, or a clear error
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"cannot read {path} as a table: {_first_line(exc)}") from exc


class AtomicParquetWriter:
    """Write tables to a Parquet file that appears only when every chunk was written.

    Used as a context manager: leaving the block normally renames the
    temporary file over ``path``; leaving it with an exception deletes it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.name.lower().endswith(PARQUET_SUFFIXES):
            raise InvalidInput(
                f"the output is written as Parquet; name it .parquet (got {self.path.name})"
            )
        if self.path.is_dir():
            raise InvalidInput(f"{self.path} is a folder; name the output file to write")
        self._tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.part")
        self._writer: Any = None
        self.schema: Any = None
        self.rows = 0

    def __enter__(self) -> AtomicParquetWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, table: Any) -> None:
        """Append ``table``; later tables are cast to the first one's schema."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self.schema = table.schema
            self._writer = pq.ParquetWriter(self._tmp, self.schema)
        elif not table.schema.equals(self.schema):
            try:
                table = table.cast(self.schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                raise Failure(
                    f"the predictions changed type between chunks ({self.schema} then "
                    f"{table.schema}): {_first_line(exc)}"
                ) from exc
        self._writer.write_table(table)
        self.rows += table.num_rows

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
            if exc_type is None:
                if self._writer is None:
                    raise Failure("nothing was written: call write() at least once")
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
