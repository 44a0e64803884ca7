"""Every accepted input becomes an Arrow table, and goes back out as pandas, polars or Arrow."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shipyard.assets.datasets as datasets
from shipyard.assets.datasets import convert, to_arrow, to_pandas, to_polars
from shipyard.core.errors import InvalidInput

EXPECTED = pa.table({"id": [1, 2, 3], "name": ["a", "é", None]})


def _same(table: pa.Table) -> None:
    assert table.column_names == ["id", "name"]
    assert table.column("id").to_pylist() == [1, 2, 3]
    assert table.column("name").to_pylist() == ["a", "é", None]


def test_arrow_table_batch_and_reader() -> None:
    assert to_arrow(EXPECTED) is EXPECTED
    batch = EXPECTED.to_batches()[0]
    _same(to_arrow(batch))
    _same(to_arrow(pa.RecordBatchReader.from_batches(EXPECTED.schema, [batch])))


def test_pandas_frame_drops_pandas_metadata_and_default_index() -> None:
    table = to_arrow(pd.DataFrame({"id": [1, 2, 3], "name": ["a", "é", None]}))
    _same(table)
    assert b"pandas" not in (table.schema.metadata or {})


def test_pandas_index_becomes_a_column() -> None:
    frame = pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="code"))
    table = to_arrow(frame)
    assert table.column_names == ["code", "v"]
    assert table.column("code").to_pylist() == ["x", "y"]
    unnamed = to_arrow(pd.DataFrame({"v": [1.0, 2.0]}, index=[10, 20]))
    assert unnamed.column("index").to_pylist() == [10, 20]


def test_pandas_mixed_object_column_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="one type"):
        to_arrow(pd.DataFrame({"x": [1, "a", 2.5]}))


def test_polars_frame_and_lazy_frame() -> None:
    frame = pl.DataFrame({"id": [1, 2, 3], "name": ["a", "é", None]})
    _same(to_arrow(frame))
    _same(to_arrow(frame.lazy()))


def test_parquet_csv_and_tsv_files(tmp_path: Path) -> None:
    pq.write_table(EXPECTED, tmp_path / "t.parquet")
    _same(to_arrow(tmp_path / "t.parquet"))
    _same(to_arrow(str(tmp_path / "t.parquet")))
    (tmp_path / "t.csv").write_text("id,name\n1,a\n2,é\n3,\n", encoding="utf-8")
    csv = to_arrow(tmp_path / "t.csv")
    assert csv.column("id").to_pylist() == [1, 2, 3]
    assert csv.column("name").to_pylist()[:2] == ["a", "é"]
    (tmp_path / "t.tsv").write_text("id\tname\n1\ta\n", encoding="utf-8")
    assert to_arrow(tmp_path / "t.tsv").column_names == ["id", "name"]
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(b"id,name\n1,a\n"))
    assert to_arrow(tmp_path / "t.csv.gz").num_rows == 1


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.parquet", None, "no such file"),
        ("t.xlsx", b"x", "unknown table file type"),
        ("bad.parquet", b"not parquet at all", "cannot read"),
    ],
)
def test_bad_files_are_invalid_input(
    tmp_path: Path, name: str, content: bytes | None, match: str
) -> None:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(InvalidInput, match=match):
        to_arrow(tmp_path / name)


def test_folder_is_not_a_table(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="folder"):
        to_arrow(tmp_path)


@pytest.mark.parametrize("thing", [{"a": [1]}, [1, 2], 42, pd.Series([1, 2])])
def test_anything_else_is_invalid_input(thing: object) -> None:
    with pytest.raises(InvalidInput, match="DataFrame"):
        to_arrow(thing)


def test_duplicate_column_names_are_invalid_input() -> None:
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["x", "x"])
    with pytest.raises(InvalidInput, match="repeated: x"):
        to_arrow(table)


def test_back_to_pandas_polars_and_arrow() -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "é", None]})
    pd.testing.assert_frame_equal(to_pandas(to_arrow(frame)), frame)
    polars_frame = pl.DataFrame({"id": [1, 2, 3], "name": ["a", "é", None]})
    assert to_polars(to_arrow(polars_frame)).equals(polars_frame)
    assert convert(EXPECTED, "arrow") is EXPECTED
    assert isinstance(convert(EXPECTED, "pandas"), pd.DataFrame)
    assert isinstance(convert(EXPECTED, "polars"), pl.DataFrame)
    with pytest.raises(InvalidInput, match="unknown table format 'excel'"):
        convert(EXPECTED, "excel")


@pytest.mark.parametrize(("module", "load"), [("pandas", to_pandas), ("polars", to_polars)])
def test_missing_library_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, load: object
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"pip install 'shipyard\[{module}\]'"):
        load(EXPECTED)  # type: ignore[operator]


def test_public_names_resolve_lazily() -> None:
    assert set(datasets.__all__) == set(datasets._WHERE)
    for name in datasets.__all__:
        assert getattr(datasets, name) is not None
    with pytest.raises(AttributeError, match="nope"):
        datasets.nope


def test_imports_stay_light() -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import shipyard, shipyard.assets.datasets\n"
        "from shipyard.assets.datasets import plan_packs, read_member\n"
        "assert 'pandas' not in sys.modules and 'polars' not in sys.modules\n"
        "try:\n    from shipyard.assets.datasets import to_arrow\n"
        "except ImportError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "pip install 'shipyard[datasets]'" in done.stdout
