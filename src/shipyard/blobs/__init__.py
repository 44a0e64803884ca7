"""Content-addressed blob stores: a local folder, any fsspec filesystem (S3), memory, or a server."""

from shipyard.blobs.protocol import BlobInfo, BlobStore
from shipyard.blobs.registry import open_blob_store

__all__ = ["BlobInfo", "BlobStore", "open_blob_store"]
