"""Choosing a blob store by URL."""

from __future__ import annotations

import pytest

from shipyard.blobs import open_blob_store
from shipyard.blobs.memory import MemoryBlobStore
from shipyard.core.errors import InvalidInput


def test_memory_scheme() -> None:
    assert isinstance(open_blob_store("memory://"), MemoryBlobStore)


def test_unknown_scheme_is_invalid_input() -> None:
    with pytest.raises(
        InvalidInput, match=r"no blob store for ftp:// URLs; known: az, file, gs, memory, s3"
    ):
        open_blob_store("ftp://host/path")


def test_memory_stores_are_independent() -> None:
    import io

    a, b = open_blob_store("memory://"), open_blob_store("memory://")
    info = a.put(io.BytesIO(b"x"))
    assert a.exists(info.digest) and not b.exists(info.digest)
