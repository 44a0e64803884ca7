"""Writing a version's files to a folder, one file or all, verified and atomically renamed.

Files packed together are written pack by pack: a pack is opened once and
read in offset order (one ranged read when only one of its files is wanted),
instead of once per file.
"""

from __future__ import annotations

import os
from pathlib import Path

from shipyard.blobs.integrity import check_bytes, save_verified
from shipyard.blobs.ranges import read_range
from shipyard.core.errors import NotFound
from shipyard.core.local_paths import LocalFolder, under_prefix
from shipyard.store.asset_records import AssetFile
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
        files = under_prefix(files, check_artifact_path(path))
        if not files:
            raise NotFound(f"{ref} has no file {path!r}")
    folder = LocalFolder(Path(dst))
    written = []
    packs: dict[str, list[tuple[AssetFile, Path]]] = {}
    for f in files:
        target = folder.target(check_artifact_path(f.path))
        if f.pack_digest is None:
            save_verified(ws.blobs, f.digest, target, f"{ref} file {f.path!r}")
        else:
            packs.setdefault(f.pack_digest, []).append((f, target))
        written.append(target)
    for pack, members in packs.items():
        _write_members(ws, ref, pack, sorted(members, key=lambda m: m[0].pack_offset or 0))
    return written


def _write_members(
    ws: Workspace, ref: str, pack: str, members: list[tuple[AssetFile, Path]]
) -> None:
    folders: set[Path] = set()

    def write(f: AssetFile, target: Path, data: bytes) -> None:
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(check_bytes(data, f.digest, f"{ref} file {f.path!r}"))
        tmp.replace(target)

    if len(members) == 1:  # one file: fetch only its slice
        f, target = members[0]
        write(f, target, read_range(ws.blobs, pack, f.pack_offset or 0, f.size))
        return
    with ws.blobs.open(pack) as fh:
        for f, target in members:
            fh.seek(f.pack_offset or 0)
            write(f, target, fh.read(f.size))
