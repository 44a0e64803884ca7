"""Blobs on any fsspec filesystem, chiefly S3-compatible object stores (``s3://bucket/prefix``).

An object PUT is atomic, so a blob is spooled to a local temporary file while
its digest is computed and then uploaded under its final key in one request.
The endpoint of an S3-compatible service comes from ``AWS_ENDPOINT_URL`` (or
``SHIPYARD_S3_ENDPOINT_URL``), credentials from the usual AWS variables.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from shipyard.blobs.protocol import BlobInfo
from shipyard.core.digests import check_digest, digest_stream
from shipyard.core.errors import NotFound, StoreError


class FsspecBlobStore:
    def __init__(self, url: str, **storage_options: Any) -> None:
        try:
            import fsspec
        except ImportError:  # pragma: no cover - fsspec is a core dependency
            raise StoreError("remote blob stores need fsspec: pip install fsspec") from None
        protocol, _, path = url.partition("://")
        options = dict(storage_options)
        endpoint = os.environ.get("SHIPYARD_S3_ENDPOINT_URL")
        if protocol == "s3" and endpoint and "endpoint_url" not in options:
            options["endpoint_url"] = endpoint
        try:
            self.fs = fsspec.filesystem(protocol, **options)
        except ImportError as exc:
            raise StoreError(
                f"{protocol}:// blob stores need an extra package: pip install 'shipyard[s3]' ({exc})"
            ) from None
        self.url = url
        self.root = path.rstrip("/")

    def _key(self, digest: str) -> str:
        check_digest(digest)
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    def put(self, stream: BinaryIO) -> BlobInfo:
        with tempfile.NamedTemporaryFile(prefix="shipyard-blob-") as spool:
            digest, size = digest_stream(stream, copy_to=spool)
            spool.flush()
            key = self._key(digest)
            try:
                if not self.fs.exists(key) or not self._touch(key):
                    self.fs.put_file(spool.name, key)
            except (OSError, ValueError) as exc:
                raise StoreError(f"cannot write blob to {self.url}: {exc}") from exc
        return BlobInfo(digest=digest, size=size)

    def _touch(self, key: str) -> bool:
        """Refresh an existing blob's modification time without sending its bytes.

        A blob put again is in use again: a fresh time keeps a concurrent ``gc``
        (which spares blobs younger than its grace period) from deleting it
        before the caller records the row that refers to it. On S3 a copy onto
        itself with new metadata does that server-side; elsewhere, or when the
        copy fails (objects over 5 GB), the caller uploads again.
        """
        setxattr = getattr(self.fs, "setxattr", None)
        if setxattr is None:
            return False
        try:
            setxattr(key, shipyard_touched=str(time.time()))
        except Exception:  # any failure: fall back to uploading the bytes again
            return False
        return True

    def open(self, digest: str) -> BinaryIO:
        try:
            return cast(BinaryIO, self.fs.open(self._key(digest), "rb"))
        except FileNotFoundError:
            raise NotFound(f"blob {digest[:12]} is missing from {self.url}") from None

    def exists(self, digest: str) -> bool:
        return bool(self.fs.exists(self._key(digest)))

    def delete(self, digest: str) -> int:
        key = self._key(digest)
        try:
            size = int(self.fs.size(key))
            self.fs.rm_file(key)
        except FileNotFoundError:
            return 0
        return size

    def scan(self) -> Iterator[BlobInfo]:
        self.fs.invalidate_cache()
        try:
            entries = self.fs.find(self.root, detail=True)
        except FileNotFoundError:
            return
        for key, info in entries.items():
            rel = key[len(self.root) :].strip("/").split("/")
            if len(rel) != 2 or len(rel[0]) != 2:
                continue
            mtime = info.get("LastModified") or info.get("mtime") or 0.0
            yield BlobInfo(
                digest=rel[0] + rel[1],
                size=int(info.get("size", 0)),
                mtime=mtime.timestamp() if hasattr(mtime, "timestamp") else float(mtime),
            )
