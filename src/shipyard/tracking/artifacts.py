"""Moving files between a run and the blob store, streamed, never read whole into memory."""

from __future__ import annotations

import os
from pathlib import Path

from shipyard.blobs.integrity import save_verified
from shipyard.core.errors import NotFound
from shipyard.core.local_paths import LocalFolder, under_prefix
from shipyard.store.records import ArtifactEntry
from shipyard.store.validation import check_artifact_path
from shipyard.workspace import Workspace


def upload(
    ws: Workspace, run_id: str, local: str | os.PathLike[str], artifact_path: str | None
) -> list[ArtifactEntry]:
    """Store a file or a folder under ``artifact_path`` (default: its own name) in the run."""
    src = Path(local)
    if not src.exists():
        raise NotFound(f"no file or folder {str(src)!r} to log as an artifact")
    prefix = check_artifact_path(artifact_path) if artifact_path else src.resolve().name
    if src.is_file():
        files = [(src, prefix)]
    else:
        files = [
            (f, f"{prefix}/{f.relative_to(src).as_posix()}")
            for f in sorted(src.rglob("*"))
            if f.is_file()
        ]
    # Check every name before the first upload, so a bad one leaves nothing behind.
    named = [(path, check_artifact_path(name)) for path, name in files]
    entries = []
    for path, name in named:
        with path.open("rb") as fh:
            info = ws.blobs.put(fh)
        entries.append(ArtifactEntry(path=name, digest=info.digest, size=info.size))
    ws.store.artifacts.add(run_id, entries)
    return entries


def upload_bytes(ws: Workspace, run_id: str, data: bytes, name: str) -> ArtifactEntry:
    import io

    path = check_artifact_path(name)
    info = ws.blobs.put(io.BytesIO(data))
    entry = ArtifactEntry(path=path, digest=info.digest, size=info.size)
    ws.store.artifacts.add(run_id, [entry])
    return entry


def download(
    ws: Workspace, run_id: str, path: str | None, dst: str | os.PathLike[str]
) -> list[Path]:
    """Write the run's artifact ``path`` (a file or a folder prefix; all when None) under ``dst``."""
    entries = ws.store.artifacts.list(run_id)
    if path:
        wanted = check_artifact_path(path)
        entries = under_prefix(entries, wanted)
        if not entries:
            raise NotFound(f"run {run_id[:8]} has no artifact {path!r}")
    folder = LocalFolder(Path(dst))
    written = []
    for entry in entries:
        target = folder.target(check_artifact_path(entry.path))
        save_verified(
            ws.blobs, entry.digest, target, f"artifact {entry.path!r} of run {run_id[:8]}"
        )
        written.append(target)
    return written
