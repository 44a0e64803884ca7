"""SHA-256 content digests: the keys of the blob store."""

from __future__ import annotations

import hashlib
import re
from typing import IO, BinaryIO

from shipyard.core.errors import InvalidInput

CHUNK = 1 << 20
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def check_digest(digest: str) -> str:
    """Return ``digest`` if it is 64 lowercase hex digits, else raise ``InvalidInput``."""
    if not _DIGEST.match(digest):
        raise InvalidInput(f"not a SHA-256 digest: {digest[:80]!r}")
    return digest


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_stream(stream: BinaryIO, copy_to: IO[bytes] | None = None) -> tuple[str, int]:
    """Digest and size of everything left in ``stream``, read in chunks.

    With ``copy_to`` the bytes are also written there on the way, so a blob is
    hashed and spooled (or written to its temporary file) in one pass.
    """
    h = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        h.update(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
        size += len(chunk)
    return h.hexdigest(), size
