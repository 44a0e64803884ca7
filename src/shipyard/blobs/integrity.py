"""Reading blobs back with their digest checked, so a tampered or rotten file is never used.

A blob's key is the SHA-256 of its bytes; reading it back and hashing again
costs one pass and catches a file changed on disk or in a bucket.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import BinaryIO, cast

from shipyard.blobs.protocol import BlobStore
from shipyard.core.digests import digest_bytes, digest_stream
from shipyard.core.errors import StoreError

_SPOOL_IN_MEMORY = 32 << 20


def open_verified(store: BlobStore, digest: str, what: str) -> BinaryIO:
    """The blob's bytes in a (spooled) temporary file, after checking they hash to ``digest``."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - returned
    with store.open(digest) as src:
        actual, _ = digest_stream(src, copy_to=spool)
    if actual != digest:
        spool.close()
        raise corrupt(what, digest, actual)
    spool.seek(0)
    return cast(BinaryIO, spool)


def save_verified(store: BlobStore, digest: str, target: Path, what: str) -> None:
    """Stream the blob to ``target`` through a temporary name; rename only if the digest matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    with store.open(digest) as src, tmp.open("wb") as out:
        actual, _ = digest_stream(src, copy_to=out)
    if actual != digest:
        tmp.unlink()
        raise corrupt(what, digest, actual)
    tmp.replace(target)


def check_bytes(data: bytes, digest: str, what: str) -> bytes:
    actual = digest_bytes(data)
    if actual != digest:
        raise corrupt(what, digest, actual)
    return data


def corrupt(what: str, expected: str, actual: str) -> StoreError:
    return StoreError(
        f"{what} is corrupt: its bytes hash to {actual[:12]}, not {expected[:12]} as recorded; "
        "the blob store was changed behind shipyard's back (restore the file from a backup)"
    )
