"""Garbage collection: delete every blob no metadata row refers to any more.

Blobs younger than a grace period are kept even when unreferenced, because a
client may have uploaded a blob and not yet recorded the row that refers to it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from shipyard.workspace.workspace import Workspace


@dataclass(frozen=True)
class GcReport:
    scanned: int
    deleted: int
    bytes_freed: int
    kept_young: int
    dry_run: bool

    def to_dict(self) -> dict[str, int | bool]:
        return {
            "scanned": self.scanned,
            "deleted": self.deleted,
            "bytes_freed": self.bytes_freed,
            "kept_young": self.kept_young,
            "dry_run": self.dry_run,
        }


def collect_garbage(ws: Workspace, grace_seconds: float = 300.0, dry_run: bool = False) -> GcReport:
    referenced = ws.store.artifacts.referenced_digests() | ws.store.assets.referenced_digests()
    cutoff = time.time() - grace_seconds
    scanned = deleted = freed = young = 0
    for blob in list(ws.blobs.scan()):
        scanned += 1
        if blob.digest in referenced:
            continue
        if blob.mtime > cutoff:
            young += 1
            continue
        deleted += 1
        freed += blob.size if dry_run else ws.blobs.delete(blob.digest)
    return GcReport(scanned, deleted, freed, young, dry_run)
