"""Blobs kept by a shipyard server, streamed in both directions.

Uploads are hashed locally first so that content the server already holds is
never sent twice; files are streamed from disk, never read whole into memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import BinaryIO, cast

from shipyard.blobs.protocol import BlobInfo
from shipyard.core.digests import CHUNK, check_digest, digest_stream
from shipyard.core.errors import NotFound
from shipyard.core.http import ApiClient


class RemoteBlobStore:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def put(self, stream: BinaryIO) -> BlobInfo:
        with tempfile.TemporaryFile(prefix="shipyard-upload-") as spool:
            digest, size = digest_stream(stream, copy_to=spool)
            if self.exists(digest):
                return BlobInfo(digest=digest, size=size)
            spool.seek(0)

            def chunks() -> Iterator[bytes]:
                while block := spool.read(CHUNK):
                    yield block

            self.api.request(
                "PUT",
                f"/api/v1/blobs/{digest}",
                content=chunks(),
                headers={"Content-Type": "application/octet-stream"},
            )
        return BlobInfo(digest=digest, size=size)

    def open(self, digest: str) -> BinaryIO:
        check_digest(digest)
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - returned open
        with self.api.stream("GET", f"/api/v1/blobs/{digest}") as resp:
            for block in resp.iter_bytes(CHUNK):
                spool.write(block)
        spool.seek(0)
        return cast(BinaryIO, spool)

    def read_range(self, digest: str, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset``, fetched with an HTTP Range request, not the whole blob."""
        check_digest(digest)
        if size <= 0:
            return b""
        headers = {"Range": f"bytes={offset}-{offset + size - 1}"}
        with self.api.stream("GET", f"/api/v1/blobs/{digest}", headers=headers) as resp:
            return b"".join(resp.iter_bytes(CHUNK))

    def exists(self, digest: str) -> bool:
        check_digest(digest)
        try:
            self.api.request("HEAD", f"/api/v1/blobs/{digest}")
        except NotFound:
            return False
        return True

    def delete(self, digest: str) -> int:
        check_digest(digest)
        return int(self.api.request("DELETE", f"/api/v1/blobs/{digest}")["freed"])

    def scan(self) -> Iterator[BlobInfo]:
        body = self.api.request("GET", "/api/v1/blobs")
        for b in body["blobs"]:
            yield BlobInfo(digest=b["digest"], size=int(b["size"]), mtime=float(b["mtime"]))
