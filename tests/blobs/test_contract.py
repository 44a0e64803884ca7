"""Every blob store keeps the same promises: local folder, memory, and S3 (a real moto server)."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from shipyard.blobs import BlobStore, open_blob_store
from shipyard.core.errors import InvalidInput, NotFound

BACKENDS = ["local", "memory", "s3"]


@pytest.fixture(params=BACKENDS)
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return open_blob_store(str(tmp_path / "blobs"))
    if request.param == "memory":
        return open_blob_store("memory://")
    make_bucket: Callable[[], str] = request.getfixturevalue("make_bucket")
    endpoint: str = request.getfixturevalue("s3_env")
    return open_blob_store(
        f"s3://{make_bucket()}/some/prefix", client_kwargs={"endpoint_url": endpoint}
    )


def _put(store: BlobStore, data: bytes) -> str:
    info = store.put(io.BytesIO(data))
    assert info.digest == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    return info.digest


def _read(store: BlobStore, digest: str) -> bytes:
    with store.open(digest) as fh:
        return fh.read()


def test_put_open_exists(blob_store: BlobStore) -> None:
    digest = _put(blob_store, b"hello blobs")
    assert blob_store.exists(digest)
    assert _read(blob_store, digest) == b"hello blobs"


def test_same_bytes_are_stored_once(blob_store: BlobStore) -> None:
    a = _put(blob_store, b"same")
    b = _put(blob_store, b"same")
    c = _put(blob_store, b"different")
    assert a == b != c
    scanned = sorted((i.digest, i.size) for i in blob_store.scan())
    assert scanned == sorted([(a, 4), (c, 9)])


def test_empty_and_multi_chunk_blobs(blob_store: BlobStore) -> None:
    empty = _put(blob_store, b"")
    assert _read(blob_store, empty) == b""
    big = bytes(range(256)) * (3 * 4096 + 7)  # ~3 MiB, more than one read chunk
    digest = _put(blob_store, big)
    assert _read(blob_store, digest) == big


def test_delete_returns_the_bytes_freed(blob_store: BlobStore) -> None:
    digest = _put(blob_store, b"12345")
    assert blob_store.delete(digest) == 5
    assert not blob_store.exists(digest)
    assert blob_store.delete(digest) == 0
    assert list(blob_store.scan()) == []


def test_missing_blob_is_not_found(blob_store: BlobStore) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not blob_store.exists(missing)
    with pytest.raises(NotFound, match=missing[:12]):
        blob_store.open(missing)


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "AB" * 32, "ab" * 31, "ab" * 33, "", "zz" * 32, "../" + "a" * 61]
)
def test_digests_are_validated(blob_store: BlobStore, bad: str) -> None:
    for call in (blob_store.open, blob_store.exists, blob_store.delete):
        with pytest.raises(InvalidInput, match="not a SHA-256 digest"):
            call(bad)


def test_scan_reports_sizes_and_times(blob_store: BlobStore) -> None:
    before = time.time() - 5
    digests = {
        _put(blob_store, f"blob {i}".encode() * (i + 1)): len(f"blob {i}") * (i + 1)
        for i in range(5)
    }
    scanned = {i.digest: i for i in blob_store.scan()}
    assert {d: i.size for d, i in scanned.items()} == digests
    for info in scanned.values():
        assert before <= info.mtime <= time.time() + 5


def test_putting_again_marks_the_blob_as_in_use(
    blob_store: BlobStore, request: pytest.FixtureRequest
) -> None:
    """A deduplicated put refreshes the blob's time, so gc's grace period protects it."""
    digest = _put(blob_store, b"reused")
    (first,) = [i.mtime for i in blob_store.scan() if i.digest == digest]
    # S3 times have one-second resolution
    time.sleep(1.1 if "s3" in request.node.callspec.id else 0.02)
    _put(blob_store, b"reused")
    (second,) = [i.mtime for i in blob_store.scan() if i.digest == digest]
    assert second > first
    assert _read(blob_store, digest) == b"reused"
