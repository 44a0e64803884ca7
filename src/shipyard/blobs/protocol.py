"""The blob store: immutable files keyed by the SHA-256 of their bytes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class BlobInfo:
    digest: str
    size: int
    mtime: float = 0.0


class BlobStore(Protocol):
    """Five methods; every backend (local, fsspec/S3, memory, remote) implements them.

    ``put`` must be atomic: a reader never sees a partial blob, and a crash
    mid-write leaves no blob under the final key.
    """

    def put(self, stream: BinaryIO) -> BlobInfo: ...
    def open(self, digest: str) -> BinaryIO: ...
    def exists(self, digest: str) -> bool: ...
    def delete(self, digest: str) -> int: ...
    def scan(self) -> Iterator[BlobInfo]: ...
