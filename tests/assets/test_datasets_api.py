"""sy.datasets: register tables and folders, load them back, diff versions."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import shipyard as sy
from shipyard.core.errors import InvalidInput, NotFound

pytestmark = pytest.mark.usefixtures("registry_backend")


def _credit(rows: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": list(range(rows)),
            "income": [1000.0 * (i + 1) for i in range(rows)],
            "city": ["Oslo", "Lima", "Oslo", "Pune", "Lima"][:rows],
        }
    )


def test_register_a_dataframe_and_load_it_back_three_ways() -> None:
    df = _credit()
    v = sy.datasets.register(df, "credit")
    assert v.ref == "dataset:credit@1"
    assert v.metadata["num_rows"] == 5
    assert v.metadata["columns"]["income"]["max"] == 5000.0
    assert v.metadata["columns"]["city"]["top"][0]["value"] in {"Oslo", "Lima"}
    pd.testing.assert_frame_equal(sy.datasets.load("dataset:credit@1"), df)
    assert sy.datasets.load("credit@1", as_="polars").equals(pl.from_pandas(df))
    assert sy.datasets.load("dataset:credit", as_="arrow").num_rows == 5


def test_identical_content_is_not_a_new_version_whatever_its_form(tmp_path: Path) -> None:
    df = _credit()
    first = sy.datasets.register(df, "credit")
    assert sy.datasets.register(df.copy(), "credit").version == first.version
    assert (
        sy.datasets.register(pa.Table.from_pandas(df, preserve_index=False), "credit").version == 1
    )
    df.to_parquet(tmp_path / "c.parquet", index=False)
    assert sy.datasets.register(tmp_path / "c.parquet", "credit").version == 1
    changed = df.assign(income=df.income * 2)
    assert sy.datasets.register(changed, "credit").version == 2


def test_csv_and_polars_inputs(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,b\n1,x\n2,y\n")
    assert sy.datasets.register(tmp_path / "d.csv", "csv").metadata["num_rows"] == 2
    assert sy.datasets.register(pl.DataFrame({"a": [1, 2]}), "pl").metadata["num_columns"] == 1


def test_diff_between_versions_by_key() -> None:
    old = _credit()
    new = pd.concat([old.iloc[1:], pd.DataFrame({"id": [9], "income": [1.0], "city": ["Rome"]})])
    new.loc[new.id == 2, "income"] = -1.0
    sy.datasets.register(old, "credit")
    sy.datasets.register(new.reset_index(drop=True), "credit")
    d = sy.datasets.diff("dataset:credit@1", "dataset:credit@2", key="id")
    out = d.to_dict()
    assert (out["rows_added"], out["rows_removed"], out["rows_changed"]) == (1, 1, 1)
    assert out["changed_by_column"] == {"income": 1}
    assert "by key id" in d.summary()


def test_loading_inside_a_run_records_consumption() -> None:
    sy.datasets.register(_credit(), "credit")
    with sy.start_run(name="train") as run:
        sy.datasets.load("dataset:credit@latest")
    from shipyard.workspace import current_workspace

    edges = current_workspace().store.lineage.edges(runs=[run.id])
    assert [(e.relation, e.version) for e in edges] == [("consumed", "dataset:credit@1")]


def test_a_folder_of_many_small_files_registers_fast_and_reads_one_file(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    for i in range(10_000):
        sub = root / f"part{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"doc{i}.txt").write_text(f"document {i}\n" * 20)
    start = time.perf_counter()
    v = sy.datasets.register(root, "docs")
    elapsed = time.perf_counter() - start
    assert elapsed < 30, f"10,000 small files took {elapsed:.1f} s"
    assert v.metadata == {"format": "folder", "files": 10_000, "bytes": v.metadata["bytes"]}
    from shipyard.workspace import current_workspace

    blobs = list(current_workspace().blobs.scan())
    assert len(blobs) < 20, "small files are packed, not stored one blob each"
    with sy.datasets.open_file("dataset:docs@1", "part7/doc4567.txt") as fh:
        assert fh.read() == b"document 4567\n" * 20
    assert sy.datasets.register(root, "docs").version == 1
    with pytest.raises(NotFound):
        sy.datasets.open_file("dataset:docs@1", "part7/nope.txt")
    with pytest.raises(InvalidInput, match="folder of files"):
        sy.datasets.load("dataset:docs@1")


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        sy.datasets.register(object(), "x")
    with pytest.raises(InvalidInput):
        sy.datasets.register(tmp_path / "missing.csv", "x")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no files"):
        sy.datasets.register(tmp_path / "empty", "x")


def test_a_parquet_file_pandas_wrote_is_the_same_content_as_its_frame(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1, 2], "c": pd.Categorical(["x", "y"]), "s": ["p", "q"]})
    df.to_parquet(tmp_path / "f.parquet", index=False)
    assert sy.datasets.register(df, "t").version == 1
    assert sy.datasets.register(tmp_path / "f.parquet", "t").version == 1
