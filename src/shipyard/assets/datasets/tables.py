"""Any table a user hands us becomes one ``pyarrow.Table``, and goes back out as they ask.

Accepted: a pandas or polars DataFrame (a polars LazyFrame is collected), a
pyarrow Table, RecordBatch or RecordBatchReader, and the path of a Parquet
(``.parquet``, ``.pq``) or CSV/TSV file (``.csv``, ``.tsv``, optionally
``.gz``/``.bz2``/``.zst``). pandas and polars are never imported to *recognise*
their frames (a frame exists only if its library is loaded already), and only
imported to *produce* one.

What is kept is the data, not a library's bookkeeping: pandas's schema
metadata (which embeds the pandas version) is dropped so that the same frame
gives the same bytes on every machine, and a non-default pandas index becomes
ordinary columns (``reset_index``) rather than hidden metadata.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from shipyard.assets.datasets.optional import missing_dependency
from shipyard.core.errors import InvalidInput

try:
    import pyarrow as pa  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - exercised only without pyarrow
    raise missing_dependency("pyarrow", "shipyard datasets") from exc

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped]
    import polars

TableFormat = Literal["arrow", "pandas", "polars"]
FORMATS: tuple[TableFormat, ...] = ("arrow", "pandas", "polars")

_PARQUET = (".parquet", ".pq")
_DELIMITED = {".csv": ",", ".tsv": "\t"}
_COMPRESSED = ("", ".gz", ".bz2", ".zst")
_ACCEPTED = (
    "a pandas or polars DataFrame, a pyarrow Table or RecordBatch, "
    "or the path of a .parquet or .csv file"
)


def to_arrow(data: object) -> pa.Table:
    """``data`` as a ``pyarrow.Table``; raise ``InvalidInput`` for anything else.

    Column names must be unique: a diff or a per-column statistic of two
    columns called the same would be ambiguous.
    """
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif isinstance(data, pa.RecordBatchReader):
        table = data.read_all()
    elif isinstance(data, str | os.PathLike):
        table = read_table_file(Path(data))
    elif _is_frame(data, "pandas"):
        table = _from_pandas(data)
    elif _is_frame(data, "polars"):
        table = _from_polars(data)
    else:
        raise InvalidInput(
            f"cannot register a {type(data).__module__}.{type(data).__qualname__} as a table; "
            f"pass {_ACCEPTED}"
        )
    return _checked(table)


def read_table_file(path: Path) -> pa.Table:
    """Read a Parquet or CSV/TSV file; ``InvalidInput`` when it is missing or unreadable."""
    if path.is_dir():
        raise InvalidInput(
            f"{path} is a folder; register it as a file tree, not as a table "
            "(or pass one .parquet or .csv file inside it)"
        )
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}")
    name = path.name.lower()
    try:
        if name.endswith(_PARQUET):
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            return pq.read_table(path)
        for suffix, delimiter in _DELIMITED.items():
            if any(name.endswith(suffix + c) for c in _COMPRESSED):
                import pyarrow.csv as pcsv  # type: ignore[import-untyped]

                return pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter=delimiter))
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"cannot read {path} as a table: {exc}") from exc
    raise InvalidInput(
        f"{path.name}: unknown table file type; use .parquet, .pq, .csv or .tsv "
        "(or load it yourself and pass a DataFrame)"
    )


def to_pandas(table: pa.Table) -> pandas.DataFrame:
    """The table as a pandas DataFrame (needs the ``pandas`` extra)."""
    try:
        import pandas  # noqa: F401
    except ImportError as exc:
        raise missing_dependency("pandas", "loading a dataset as pandas") from exc
    return table.to_pandas()


def to_polars(table: pa.Table) -> polars.DataFrame:
    """The table as a polars DataFrame (needs the ``polars`` extra)."""
    try:
        import polars as pl
    except ImportError as exc:
        raise missing_dependency("polars", "loading a dataset as polars") from exc
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a Table always gives a frame
        raise TypeError(f"polars turned a table into a {type(frame).__name__}")
    return frame


def convert(table: pa.Table, to: str = "arrow") -> Any:
    """The table in the format named ``to``: ``"arrow"``, ``"pandas"`` or ``"polars"``."""
    if to == "arrow":
        return table
    if to == "pandas":
        return to_pandas(table)
    if to == "polars":
        return to_polars(table)
    raise InvalidInput(f"unknown table format {to!r}; use one of {', '.join(FORMATS)}")


def _is_frame(data: object, library: str) -> bool:
    module = sys.modules.get(library)
    if module is None:
        return False
    kinds = ("DataFrame", "LazyFrame") if library == "polars" else ("DataFrame",)
    return any(isinstance(data, getattr(module, kind)) for kind in kinds)


def _from_pandas(frame: Any) -> pa.Table:
    index = frame.index
    default_index = (
        type(index).__name__ == "RangeIndex"
        and index.start == 0
        and index.step == 1
        and index.name is None
    )
    if not default_index:
        frame = frame.reset_index()
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise InvalidInput(
            f"cannot turn this pandas DataFrame into a table: {exc}. "
            "Give each column values of one type (e.g. df[col].astype(str))"
        ) from exc
    metadata = {k: v for k, v in (table.schema.metadata or {}).items() if k != b"pandas"}
    return table.replace_schema_metadata(metadata or None)


def _from_polars(frame: Any) -> pa.Table:
    if type(frame).__name__ == "LazyFrame":
        frame = frame.collect()
    table = frame.to_arrow()
    # Newer polars may hand out view types; store the classic large types, which
    # every Parquet reader understands.
    views = {
        "string_view": pa.large_string(),
        "binary_view": pa.large_binary(),
    }
    fields = [
        pa.field(f.name, views.get(str(f.type), f.type), f.nullable, f.metadata)
        for f in table.schema
    ]
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return table if schema.equals(table.schema) else table.cast(schema)


def _checked(table: pa.Table) -> pa.Table:
    counts = Counter(table.column_names)
    if len(counts) != table.num_columns:
        twice = sorted(n for n, c in counts.items() if c > 1)
        raise InvalidInput(f"column names must be unique; repeated: {', '.join(twice)}")
    return _canonical(table)


def _canonical(table: pa.Table) -> pa.Table:
    """One physical type per logical type and no writer metadata, so equal content is equal bytes.

    pandas 3 and polars hand over ``large_string``, Arrow and CSV readers
    ``string``; a Parquet file pandas wrote carries pandas' own metadata
    (with its version). The values are the same, and a registry that made a
    new version for those differences would be wrong about "identical content".
    """
    fields = [pa.field(f.name, _narrow(f.type), f.nullable) for f in table.schema]
    schema = pa.schema(fields)
    if schema.equals(table.schema) and not table.schema.metadata:
        return table
    bare = table.replace_schema_metadata(None)
    return bare if schema.equals(bare.schema) else bare.cast(schema)


def _narrow(kind: pa.DataType) -> pa.DataType:
    if kind == pa.large_string():
        return pa.string()
    if kind == pa.large_binary():
        return pa.binary()
    if pa.types.is_dictionary(kind):
        return pa.dictionary(kind.index_type, _narrow(kind.value_type), kind.ordered)
    return kind
