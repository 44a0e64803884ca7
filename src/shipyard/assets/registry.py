"""Registering and fetching asset versions: files to blobs, rows to the store, edges to lineage.

Flavors (datasets, models, prompts, indexes) turn objects into files and
metadata and call ``register_files``; reading a version inside a run records
that the run consumed it, and registering one records that the run produced it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from shipyard.blobs.integrity import check_bytes, open_verified
from shipyard.blobs.ranges import read_range
from shipyard.core.errors import NotFound
from shipyard.core.refs import AssetRef, parse_ref
from shipyard.store.asset_records import AssetFile, AssetVersion
from shipyard.tracking.api import active_run
from shipyard.workspace import Workspace, current_workspace

FileSource = Path | bytes


def register_files(
    kind: str,
    name: str,
    files: Mapping[str, FileSource],
    metadata: Mapping[str, Any] | None = None,
    *,
    derived_from: Sequence[str] = (),
    extra: Sequence[AssetFile] = (),
    workspace: Workspace | None = None,
) -> tuple[AssetVersion, bool]:
    """Upload ``files`` (asset path → local file or bytes) and register them as a version.

    ``extra`` are entries whose blobs are already stored (e.g. packed small
    files). Inside a run, the run is recorded as the version's producer.
    """
    ws = workspace or current_workspace()
    entries = list(extra)
    for path, source in sorted(files.items()):
        with _open(source) as fh:
            info = ws.blobs.put(fh)
        entries.append(AssetFile(path, info.digest, info.size))
    run = active_run()
    return ws.store.assets.register(
        kind,
        name,
        entries,
        metadata,
        run_id=run.id if run is not None and run.ws is ws else None,
        created_by=os.environ.get("USER") or os.environ.get("USERNAME"),
        derived_from=derived_from,
    )


def resolve(
    ref: str | AssetRef, kind: str | None = None, *, workspace: Workspace | None = None
) -> AssetVersion:
    """The version a reference names (``kind`` fills in a missing ``KIND:``); records nothing."""
    ws = workspace or current_workspace()
    return ws.store.assets.resolve(parse_ref(ref, kind) if isinstance(ref, str) else ref)


def use(
    ref: str | AssetRef, kind: str | None = None, *, workspace: Workspace | None = None
) -> AssetVersion:
    """Resolve a reference for reading; inside a run, record that the run consumed it."""
    ws = workspace or current_workspace()
    version = resolve(ref, kind, workspace=ws)
    run = active_run()
    if run is not None and run.ws is ws:
        ws.store.lineage.record("consumed", version.ref, run_id=run.id)
    return version


def read_file(version: AssetVersion, path: str, *, workspace: Workspace | None = None) -> BinaryIO:
    """One file of a version, checked against its digest, without fetching the others.

    Packed files are read by range. A file whose bytes no longer match the
    recorded digest raises ``StoreError`` rather than being used.
    """
    ws = workspace or current_workspace()
    for f in ws.store.assets.files(version.ref, path):
        if f.path == path:
            what = f"{version.ref} file {path!r}"
            if f.pack_digest is None:
                return open_verified(ws.blobs, f.digest, what)
            data = read_range(ws.blobs, f.pack_digest, f.pack_offset or 0, f.size)
            return io.BytesIO(check_bytes(data, f.digest, what))
    raise NotFound(f"{version.ref} has no file {path!r}")


def _open(source: FileSource) -> BinaryIO:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return Path(source).open("rb")
