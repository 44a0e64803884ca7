"""Same table, same Parquet bytes: the blob digest is what dedupes dataset versions."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shipyard.assets.datasets import parquet_bytes, read_parquet, to_arrow, write_parquet
from shipyard.core.errors import InvalidInput


def _table(n: int = 50_000) -> pa.Table:
    rng = np.random.default_rng(7)
    return pa.table(
        {
            "id": np.arange(n),
            "x": rng.normal(size=n),
            "s": pa.array([f"v{i % 997}" for i in range(n)]),
            "t": pa.array([dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * n, pa.timestamp("us", "UTC")),
            "maybe": pa.array([None if i % 3 else i for i in range(n)], pa.int64()),
        }
    )


def test_same_table_twice_gives_identical_bytes() -> None:
    table = _table()
    assert parquet_bytes(table) == parquet_bytes(table)
    assert parquet_bytes(table) == parquet_bytes(_table())


def test_chunking_does_not_change_the_bytes() -> None:
    table = _table()
    rechunked = pa.Table.from_batches(table.to_batches(max_chunksize=777))
    assert rechunked.column(0).num_chunks > 1
    assert parquet_bytes(rechunked) == parquet_bytes(table)


def test_same_pandas_frame_built_twice_gives_identical_bytes() -> None:
    def frame() -> pd.DataFrame:
        return pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"]})

    assert parquet_bytes(to_arrow(frame())) == parquet_bytes(to_arrow(frame()))


def test_different_content_gives_different_bytes() -> None:
    table = _table()
    assert parquet_bytes(table) != parquet_bytes(table.slice(1))


def test_footer_holds_nothing_variable() -> None:
    meta = pq.ParquetFile(io.BytesIO(parquet_bytes(_table()))).metadata
    assert meta.created_by.startswith("parquet-cpp-arrow version ")
    assert set(meta.metadata) == {b"ARROW:schema"}


def test_round_trip_through_bytes_path_and_file(tmp_path: Path) -> None:
    table = _table(1000)
    data = parquet_bytes(table)
    assert read_parquet(data).equals(table)
    write_parquet(table, tmp_path / "t.parquet")
    assert (tmp_path / "t.parquet").read_bytes() == data
    with (tmp_path / "t.parquet").open("rb") as f:
        assert read_parquet(f, columns=["id"]).column_names == ["id"]
    assert read_parquet(tmp_path / "t.parquet").equals(table)


def test_garbage_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not a readable Parquet"):
        read_parquet(b"PAR1 nope")


def test_reading_from_a_python_file_object_lets_the_process_exit_cleanly(tmp_path: Path) -> None:
    """``pq.read_table`` of bytes or a file object left pyarrow threads that aborted the exit (134).

    Every ``sy.datasets.load`` reads through such an object (the verified blob
    reader), so a user's script finished its work and then crashed.
    """
    import subprocess
    import sys

    script = tmp_path / "read.py"
    script.write_text(
        "import io\n"
        "import pyarrow as pa\n"
        "from shipyard.assets.datasets import parquet_bytes, read_parquet\n"
        "data = parquet_bytes(pa.table({'a': list(range(50)), 'b': list('xy' * 25)}))\n"
        "class Reader(io.RawIOBase):\n"  # not a BytesIO: what a blob store's reader looks like
        "    def __init__(self, b): self.b = io.BytesIO(b)\n"
        "    def readable(self): return True\n"
        "    def seekable(self): return True\n"
        "    def readinto(self, buf): return self.b.readinto(buf)\n"
        "    def seek(self, *a): return self.b.seek(*a)\n"
        "    def tell(self): return self.b.tell()\n"
        "assert read_parquet(Reader(data)).num_rows == 50\n"
        "assert read_parquet(data).num_rows == 50\n",
        encoding="utf-8",
    )
    for _ in range(3):  # it aborted on most runs, not all
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
