"""Model versions downloaded once into the shipyard home, keyed by digest, then loaded.

Servers (and their restarts, and several servers on one machine) share the
folder of a version instead of downloading it again. A folder is complete
once renamed into place, so a crash mid-download leaves no half model behind.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path

from shipyard.assets.download import download_version
from shipyard.assets.models.flavors.protocol import Trust
from shipyard.assets.models.loaded import LoadedModel
from shipyard.assets.models.model_folder import (
    METADATA_FILE,
    load_model,
    model_from_metadata,
)
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace


def cache_root(ws: Workspace) -> Path:
    return ws.settings.home / "cache" / "models"


def cached_folder(version: AssetVersion, ws: Workspace) -> Path:
    """The local folder holding ``version``'s files, downloading them the first time."""
    root = cache_root(ws)
    target = root / version.digest
    if (target / METADATA_FILE).is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".{version.digest}.{secrets.token_hex(4)}.part"
    try:
        download_version(version.ref, partial, workspace=ws)
        try:
            os.rename(partial, target)
        except OSError:
            if not (target / METADATA_FILE).is_file():  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def load_version(version: AssetVersion, ws: Workspace, *, trust: Trust = ()) -> LoadedModel:
    """``version`` ready to predict, as ``sy.models.load`` would give it."""
    folder = cached_folder(version, ws)
    return model_from_metadata(folder, dict(version.metadata), trust if trust else ())


def load_folder(folder: Path, *, trust: bool = False) -> tuple[LoadedModel, str]:
    """A local model folder and the digest of its files (its identity in logs and metrics)."""
    model = load_model(folder, True if trust else ())
    return model, folder_digest(folder)


def folder_digest(folder: Path) -> str:
    """SHA-256 over the folder's file paths and contents, in path order."""
    outer = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        inner = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                inner.update(chunk)
        outer.update(f"{path.relative_to(folder).as_posix()}\0{inner.hexdigest()}\n".encode())
    return outer.hexdigest()
