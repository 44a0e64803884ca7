"""Blob store backends by URL scheme, as lazy ``module:Class`` strings.

Third parties add schemes through the ``shipyard.blobs`` entry-point group.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any, cast

from shipyard.blobs.protocol import BlobStore
from shipyard.core.errors import InvalidInput

BACKENDS: dict[str, str] = {
    "file": "shipyard.blobs.local:LocalBlobStore",
    "memory": "shipyard.blobs.memory:MemoryBlobStore",
    "s3": "shipyard.blobs.fsspec_store:FsspecBlobStore",
    "gs": "shipyard.blobs.fsspec_store:FsspecBlobStore",
    "az": "shipyard.blobs.fsspec_store:FsspecBlobStore",
}


def open_blob_store(url: str, **options: Any) -> BlobStore:
    """Open the blob store at ``url``: a folder path, ``file://``, ``memory://`` or ``s3://…``."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
    target = BACKENDS.get(scheme)
    if target is None:
        for ep in entry_points(group="shipyard.blobs"):
            if ep.name == scheme:
                target = ep.value
                break
    if target is None:
        raise InvalidInput(
            f"no blob store for {scheme}:// URLs; known: {', '.join(sorted(BACKENDS))}"
        )
    module, _, name = target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cast(BlobStore, cls(url, **options))
