"""An in-memory blob store: the fake for fast unit tests, never a stand-in for a real backend test."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import BinaryIO

from shipyard.blobs.protocol import BlobInfo
from shipyard.core.digests import check_digest, digest_bytes
from shipyard.core.errors import NotFound


class MemoryBlobStore:
    def __init__(self, url: str = "memory://") -> None:
        self._blobs: dict[str, tuple[bytes, float]] = {}

    def put(self, stream: BinaryIO) -> BlobInfo:
        data = stream.read()
        digest = digest_bytes(data)
        self._blobs[digest] = (self._blobs.get(digest, (data, 0.0))[0], time.time())
        return BlobInfo(digest=digest, size=len(data))

    def open(self, digest: str) -> BinaryIO:
        check_digest(digest)
        try:
            return io.BytesIO(self._blobs[digest][0])
        except KeyError:
            raise NotFound(f"blob {digest[:12]} is missing") from None

    def exists(self, digest: str) -> bool:
        return check_digest(digest) in self._blobs

    def delete(self, digest: str) -> int:
        entry = self._blobs.pop(check_digest(digest), None)
        return 0 if entry is None else len(entry[0])

    def scan(self) -> Iterator[BlobInfo]:
        for digest, (data, mtime) in list(self._blobs.items()):
            yield BlobInfo(digest=digest, size=len(data), mtime=mtime)
