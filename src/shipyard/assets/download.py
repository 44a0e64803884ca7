"""Writing a version's files to a folder, one file or all, streamed and atomically renamed."""

from __future__ import annotations

import os
from pathlib import Path

from shipyard.blobs.integrity import check_bytes, save_verified
from shipyard.blobs.ranges import read_range
from shipyard.core.errors import NotFound
from shipyard.core.local_paths import local_target, under_prefix
from shipyard.store.validation import check_artifact_path
from shipyard.workspace import Workspace, current_workspace


def download_version(
    ref: str,
    dst: str | os.PathLike[str] = ".",
    path: str | None = None,
    *,
    workspace: Workspace | None = None,
) -> list[Path]:
    """Write the files of ``ref`` (or only ``path``, a file or a folder prefix) under ``dst``."""
    ws = workspace or current_workspace()
    files = ws.store.assets.files(ref)
    if path:
        wanted = check_artifact_path(path)
        files = under_prefix(files, wanted)
        if not files:
            raise NotFound(f"{ref} has no file {path!r}")
    written = []
    for f in files:
        target = local_target(Path(dst), check_artifact_path(f.path))
        what = f"{ref} file {f.path!r}"
        if f.pack_digest is not None:  # a small packed file: fetch only its slice
            data = read_range(ws.blobs, f.pack_digest, f.pack_offset or 0, f.size)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.part")
            tmp.write_bytes(check_bytes(data, f.digest, what))
            tmp.replace(target)
        else:
            save_verified(ws.blobs, f.digest, target, what)
        written.append(target)
    return written
