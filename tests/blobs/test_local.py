"""The local folder blob store: atomic writes, read-only files, nothing left half-written."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
from pathlib import Path

import pytest

from shipyard.blobs import open_blob_store
from shipyard.blobs.local import LocalBlobStore
from shipyard.core.errors import InvalidInput


def test_folder_and_file_urls(tmp_path: Path) -> None:
    for url in (str(tmp_path / "a"), f"file://{tmp_path / 'a'}"):
        store = open_blob_store(url)
        assert isinstance(store, LocalBlobStore)
        assert store.root == (tmp_path / "a").resolve()


def test_layout_is_sharded_by_digest(tmp_path: Path) -> None:
    store = open_blob_store(str(tmp_path))
    info = store.put(io.BytesIO(b"payload"))
    path = tmp_path / info.digest[:2] / info.digest[2:]
    assert path.read_bytes() == b"payload"
    # blobs are immutable on disk
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_put_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = open_blob_store(str(tmp_path))
    for i in range(5):
        store.put(io.BytesIO(b"x" * i))
        store.put(io.BytesIO(b"x" * i))  # the duplicate's temporary file goes too
    assert list((tmp_path / "tmp").iterdir()) == []


class _Exploding(io.RawIOBase):
    """A stream that fails part-way, like a network read or a full disk."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 2:
            raise OSError("connection reset")
        return b"a" * 1024


def test_a_failed_put_leaves_nothing(tmp_path: Path) -> None:
    store = open_blob_store(str(tmp_path))
    with pytest.raises(OSError, match="connection reset"):
        store.put(_Exploding())  # type: ignore[arg-type]
    assert list(store.scan()) == []
    assert list((tmp_path / "tmp").iterdir()) == []
    partial = hashlib.sha256(b"a" * 2048).hexdigest()
    assert not store.exists(partial)


def test_scan_ignores_stray_files(tmp_path: Path) -> None:
    store = open_blob_store(str(tmp_path))
    info = store.put(io.BytesIO(b"real"))
    (tmp_path / "tmp" / "leftover").write_bytes(b"junk")
    (tmp_path / "README").write_text("not a blob")
    (tmp_path / "abc").mkdir()
    assert [i.digest for i in store.scan()] == [info.digest]


def test_scan_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert list(open_blob_store(str(tmp_path / "nowhere")).scan()) == []


def test_traversal_digest_never_touches_the_filesystem(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    store = open_blob_store(str(tmp_path / "blobs"))
    with pytest.raises(InvalidInput):
        store.delete("../victim.txt")
    with pytest.raises(InvalidInput):
        store.open("../../etc/passwd")
    assert victim.read_text() == "keep me"


def test_putting_again_refreshes_an_old_blob(tmp_path: Path) -> None:
    store = open_blob_store(str(tmp_path))
    info = store.put(io.BytesIO(b"old"))
    path = tmp_path / info.digest[:2] / info.digest[2:]
    long_ago = time.time() - 86_400
    os.utime(path, (long_ago, long_ago))
    store.put(io.BytesIO(b"old"))
    assert path.stat().st_mtime > time.time() - 60


def test_unwritable_root_is_a_store_error(tmp_path: Path) -> None:
    from shipyard.core.errors import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    store = open_blob_store(str(blocker / "blobs"))
    with pytest.raises(StoreError, match="cannot write blobs under"):
        store.put(io.BytesIO(b"x"))
