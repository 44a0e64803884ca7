"""Values between steps as content-addressed blobs: store one, describe it, load it back.

A stored value is a ``ValueRef``: its codec, the blob of each file the codec
wrote and a content digest over all of them. Refs travel as JSON in
``pipeline.json``, ``inputs.json`` and ``outputs.json``; the files are also
recorded as artifacts of the run that made them (so garbage collection keeps
them and the UI can offer them for download).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.blobs.integrity import save_verified
from shipyard.pipelines.codecs import read_value, write_value
from shipyard.store.records import ArtifactEntry
from shipyard.workspace import Workspace


@dataclass(frozen=True)
class StoredFile:
    name: str
    digest: str
    size: int


@dataclass(frozen=True)
class ValueRef:
    """A value stored in the blob store.

    Attributes:
        codec: how it was written (``pandas``, ``numpy``, ``json``, ``model``, …).
        digest: SHA-256 over the codec and every file: equal values, equal digests.
        files: the files the codec wrote, each a blob.
        summary: one line for people (``DataFrame 800 rows × 5 columns``).
        meta: what the codec needs to read it back (a Series' name, say).
    """

    codec: str
    digest: str
    files: tuple[StoredFile, ...]
    summary: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def artifacts(self, prefix: str) -> list[ArtifactEntry]:
        """Artifact entries naming this value's blobs under ``prefix`` in a run."""
        return [ArtifactEntry(f"{prefix}/{f.name}", f.digest, f.size) for f in self.files]

    def to_dict(self) -> dict[str, Any]:
        return {
            "codec": self.codec,
            "digest": self.digest,
            "files": [{"name": f.name, "digest": f.digest, "size": f.size} for f in self.files],
            "summary": self.summary,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ValueRef:
        return cls(
            codec=str(d["codec"]),
            digest=str(d["digest"]),
            files=tuple(
                StoredFile(str(f["name"]), str(f["digest"]), int(f["size"])) for f in d["files"]
            ),
            summary=str(d.get("summary", "")),
            meta=dict(d.get("meta") or {}),
        )


def store_value(ws: Workspace, value: Any, sample_frames: Sequence[Any] = ()) -> ValueRef:
    """Write ``value`` with its codec and put every file in the blob store."""
    with tempfile.TemporaryDirectory(prefix="shipyard-value-") as tmp:
        folder = Path(tmp) / "value"
        folder.mkdir()
        codec, meta, summary = write_value(value, folder, sample_frames)
        files = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            with path.open("rb") as fh:
                info = ws.blobs.put(fh)
            files.append(StoredFile(path.relative_to(folder).as_posix(), info.digest, info.size))
    return ValueRef(codec, content_digest(codec, files), tuple(files), summary, meta)


def load_value(ws: Workspace, ref: ValueRef) -> Any:
    """Fetch the files of ``ref`` (each checked against its digest) and read the value."""
    with tempfile.TemporaryDirectory(prefix="shipyard-value-") as tmp:
        folder = Path(tmp)
        for f in ref.files:
            save_verified(ws.blobs, f.digest, folder / f.name, f"stored value file {f.name!r}")
        return read_value(ref.codec, ref.meta, folder)


def blobs_exist(ws: Workspace, ref: ValueRef) -> bool:
    return all(ws.blobs.exists(f.digest) for f in ref.files)


def content_digest(codec: str, files: Sequence[StoredFile]) -> str:
    h = hashlib.sha256(f"{codec}\n".encode())
    for f in sorted(files, key=lambda f: f.name):
        h.update(f"{f.name}\0{f.digest}\n".encode())
    return h.hexdigest()
