"""Blobs in a local folder: ``ab/cdef…`` files written to a temporary name, then renamed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from shipyard.blobs.protocol import BlobInfo
from shipyard.core.digests import check_digest, digest_stream
from shipyard.core.errors import NotFound, StoreError


class LocalBlobStore:
    def __init__(self, url: str) -> None:
        self.root = Path(url.removeprefix("file://")).expanduser().resolve()
        self._tmp = self.root / "tmp"

    def _path(self, digest: str) -> Path:
        check_digest(digest)
        return self.root / digest[:2] / digest[2:]

    def put(self, stream: BinaryIO) -> BlobInfo:
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        except OSError as exc:
            raise StoreError(f"cannot write blobs under {self.root}: {exc.strerror}") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                digest, size = digest_stream(stream, copy_to=out)
                out.flush()
                os.fsync(out.fileno())
            final = self._path(digest)
            if final.exists():
                tmp.unlink()
                # A fresh mtime marks the blob as in use again, so a concurrent
                # ``gc`` inside its grace period cannot delete it before the
                # caller records the row that refers to it.
                os.utime(final)
            else:
                final.parent.mkdir(exist_ok=True)
                tmp.chmod(0o444)
                os.replace(tmp, final)
            return BlobInfo(digest=digest, size=size)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise

    def open(self, digest: str) -> BinaryIO:
        try:
            return self._path(digest).open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {digest[:12]} is missing from {self.root}") from None

    def exists(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def delete(self, digest: str) -> int:
        path = self._path(digest)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def scan(self) -> Iterator[BlobInfo]:
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if len(shard.name) != 2 or not shard.is_dir():
                continue
            for f in shard.iterdir():
                st = f.stat()
                yield BlobInfo(digest=shard.name + f.name, size=st.st_size, mtime=st.st_mtime)

    def __repr__(self) -> str:
        return f"LocalBlobStore({self.root})"
