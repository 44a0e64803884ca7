"""Reading part of a blob: a packed file is a slice of its pack.

A store that can fetch a slice itself (``read_range``, e.g. an HTTP Range
request to a server) is asked to; for the others a seek on the opened blob
reads only what is needed (a local file, or fsspec's ranged reads on S3).
"""

from __future__ import annotations

from shipyard.blobs.protocol import BlobStore


def read_range(store: BlobStore, digest: str, offset: int, size: int) -> bytes:
    ranged = getattr(store, "read_range", None)
    if callable(ranged):
        data: bytes = ranged(digest, offset, size)
        return data
    with store.open(digest) as fh:
        fh.seek(offset)
        return fh.read(size)
