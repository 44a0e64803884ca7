"""A blob changed behind shipyard's back is detected when it is read, never used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard.core.errors import StoreError
from shipyard.workspace import current_workspace

pytestmark = pytest.mark.usefixtures("registry_backend")


def _tamper(digest: str, data: bytes | None = None) -> None:
    path = Path(current_workspace().settings.blobs) / digest[:2] / digest[2:]
    path.chmod(0o644)
    original = path.read_bytes()
    path.write_bytes(data if data is not None else original[:-1] + bytes([original[-1] ^ 1]))


def test_a_tampered_table_is_refused_on_load() -> None:
    sy.datasets.register(pd.DataFrame({"a": [1, 2, 3]}), "t")
    (f,) = current_workspace().store.assets.files("dataset:t@1")
    _tamper(f.digest)
    with pytest.raises(StoreError, match="corrupt"):
        sy.datasets.load("dataset:t@1")


def test_a_tampered_packed_file_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(5):
        (root / f"{i}.txt").write_text(f"doc {i}\n")
    sy.datasets.register(root, "docs")
    files = current_workspace().store.assets.files("dataset:docs@1")
    pack = files[0].pack_digest
    assert pack is not None
    path = Path(current_workspace().settings.blobs) / pack[:2] / pack[2:]
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"doc 3", b"DOC 3"))
    with sy.datasets.open_file("dataset:docs@1", "1.txt") as fh:
        assert fh.read() == b"doc 1\n"  # untouched neighbours still read
    with pytest.raises(StoreError, match="corrupt"):
        sy.datasets.open_file("dataset:docs@1", "3.txt")


def test_a_tampered_model_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    sy.models.register(LogisticRegression().fit(x, [0, 0, 1, 1]), "m", sample_input=x)
    model_file = next(
        f for f in current_workspace().store.assets.files("model:m@1") if f.path.endswith(".skops")
    )
    _tamper(model_file.digest)
    with pytest.raises(StoreError, match="corrupt"):
        sy.models.load("model:m@1")
    from shipyard.assets.download import download_version

    with pytest.raises(StoreError, match="corrupt"):
        download_version("model:m@1", tmp_path / "out")
    assert not any(p.name.endswith(".skops") for p in (tmp_path / "out").rglob("*"))


def test_a_tampered_artifact_is_refused(tmp_path: Path) -> None:
    with sy.start_run() as run:
        entry = run.log_text("hello", "notes.txt")
    _tamper(entry.digest, b"goodbye")
    with pytest.raises(StoreError, match="corrupt"):
        sy.download_artifacts(run.id, dst=tmp_path)
    assert not (tmp_path / "notes.txt").exists()
