"""A store, a blob store and the settings that chose them.

Local settings give a ``SqlStore`` and a folder or S3 blob store; a
``SHIPYARD_URI`` gives the REST versions of both, so code written against a
laptop runs unchanged against a team server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shipyard.blobs.protocol import BlobStore
from shipyard.core.settings import Settings
from shipyard.store.protocol import Store


@dataclass
class Workspace:
    settings: Settings
    store: Store
    blobs: BlobStore

    @classmethod
    def open(cls, settings: Settings | None = None) -> Workspace:
        settings = settings or Settings.load()
        if settings.uri is not None:
            from shipyard.blobs.remote import RemoteBlobStore
            from shipyard.core.http import ApiClient
            from shipyard.store.remote import RemoteStore

            api = ApiClient(settings.uri, token=settings.token)
            return cls(settings, RemoteStore(api), RemoteBlobStore(api))
        from shipyard.blobs.registry import open_blob_store
        from shipyard.store.sql import SqlStore

        return cls(settings, SqlStore(settings.db), open_blob_store(settings.blobs))

    @property
    def location(self) -> str:
        """Where the data lives, for messages: the server URL or the store's home."""
        if self.settings.uri:
            return self.settings.uri
        return str(self.settings.home)

    def close(self) -> None:
        self.store.close()


_lock = threading.Lock()
_open: dict[Settings, Workspace] = {}


def current_workspace() -> Workspace:
    """The workspace the current settings name, opened once per process and settings."""
    settings = Settings.load()
    with _lock:
        ws = _open.get(settings)
        if ws is None:
            ws = _open[settings] = Workspace.open(settings)
        return ws


def reset_workspaces() -> None:
    """Close every cached workspace (tests, and after a fork)."""
    with _lock:
        for ws in _open.values():
            ws.close()
        _open.clear()
