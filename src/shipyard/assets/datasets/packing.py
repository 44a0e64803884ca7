"""Many small files of a folder packed into a few blobs, and any one of them read back by seek.

A blob store pays per object (a rename on disk, a request on S3), so a folder
of 10,000 small files stored file by file is slow. Files up to
``small_file_limit`` are concatenated into packs of about ``pack_target``
bytes; each member is listed with its path, SHA-256, size and offset, which
is all a manifest needs to read it back with one seek. Bigger files are
stored directly, one blob each.

Packs are deterministic and stable under edits, so versions share them:
files go in path order, identical files within a pack are stored once, and a
pack ends after a file whose path hash falls under a size-weighted threshold
(on average every ``pack_target / 2`` bytes; never past ``pack_target``).
Because a boundary depends on the file, not on what came before it, adding
or removing one file changes only its own pack, not every pack after it.

File symlinks are stored as the file they point to; symlinked folders are
not followed (no cycles); empty folders are not recorded.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from shipyard.core.digests import digest_stream
from shipyard.core.errors import InvalidInput, StoreError

SMALL_FILE_LIMIT = 1 << 20
PACK_TARGET = 64 << 20


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the root, with "/" separators
    source: Path
    size: int


@dataclass(frozen=True)
class PlannedPack:
    files: tuple[SourceFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class PlannedFile:
    file: SourceFile


@dataclass(frozen=True)
class PackEntry:
    """Where one file lives inside a pack."""

    path: str
    sha256: str
    size: int
    offset: int


@dataclass(frozen=True)
class WrittenPack:
    """A pack in a temporary ``file`` (deleted when the writer moves on), with its index."""

    file: Path
    sha256: str
    size: int
    entries: tuple[PackEntry, ...]


@dataclass(frozen=True)
class DirectFile:
    """A file too big to pack: store ``source`` as its own blob."""

    path: str
    sha256: str
    size: int
    source: Path


def list_files(root: Path) -> list[SourceFile]:
    """Every regular file under ``root``, sorted by relative path."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidInput(f"not a folder: {root}")
    base = str(root)
    found = []
    for dirpath, _dirnames, filenames in os.walk(base, onerror=_unreadable):
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = prefix + name
            try:
                info = os.stat(full)
                rel.encode("utf-8")
            except OSError as exc:
                raise InvalidInput(f"cannot read {rel}: {exc.strerror} (a broken link?)") from exc
            except UnicodeEncodeError as exc:
                raise InvalidInput(f"file name is not valid UTF-8: {rel!r}; rename it") from exc
            if not stat.S_ISREG(info.st_mode):
                raise InvalidInput(f"{rel} is not a regular file (a pipe or device?); remove it")
            found.append(SourceFile(rel, Path(full), info.st_size))
    found.sort(key=lambda f: f.path)
    return found


def plan_packs(
    root: Path, small_file_limit: int = SMALL_FILE_LIMIT, pack_target: int = PACK_TARGET
) -> list[PlannedPack | PlannedFile]:
    """Group the files under ``root``: packs of small files first, then big files one by one."""
    if small_file_limit < 0 or pack_target < 1:
        raise InvalidInput("small_file_limit must be >= 0 and pack_target >= 1")
    packs: list[PlannedPack | PlannedFile] = []
    big: list[PlannedPack | PlannedFile] = []
    current: list[SourceFile] = []
    size = 0
    average = max(pack_target // 2, 1)
    for f in list_files(root):
        if f.size > small_file_limit:
            big.append(PlannedFile(f))
            continue
        if current and size + f.size > pack_target:
            packs.append(PlannedPack(tuple(current)))
            current, size = [], 0
        current.append(f)
        size += f.size
        if _ends_pack(f, average):
            packs.append(PlannedPack(tuple(current)))
            current, size = [], 0
    if current:
        packs.append(PlannedPack(tuple(current)))
    return packs + big


def write_packs(
    plan: Iterable[PlannedPack | PlannedFile], workdir: Path | None = None
) -> Iterator[WrittenPack | DirectFile]:
    """Write each planned pack to a temporary file and yield it with its index.

    The temporary file is deleted when the next item is asked for (or the
    iterator is closed), so store it before moving on. Big files are hashed
    where they lie and yielded as ``DirectFile``.
    """
    for item in plan:
        if isinstance(item, PlannedFile):
            with item.file.source.open("rb") as stream:
                digest, size = digest_stream(stream)
            yield DirectFile(item.file.path, digest, size, item.file.source)
            continue
        fd, name = tempfile.mkstemp(prefix="shipyard-", suffix=".pack", dir=workdir)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                entries, digest, size = _fill(out, item.files)
            yield WrittenPack(temp, digest, size, entries)
        finally:
            temp.unlink(missing_ok=True)


def read_member(
    open_blob: Callable[[], BinaryIO], offset: int, size: int, sha256: str | None = None
) -> bytes:
    """Read one packed file: open the pack, seek to ``offset``, read ``size`` bytes.

    With ``sha256`` the bytes are checked too. Only the member is read, so on
    S3 open the blob without read-ahead to fetch just this range.
    """
    if offset < 0 or size < 0:
        raise InvalidInput(f"bad pack range: offset {offset}, size {size}")
    with open_blob() as stream:
        stream.seek(offset)
        data = _read_exactly(stream, size)
    _check(data, size, offset, sha256)
    return data


def iter_members(
    open_blob: Callable[[], BinaryIO], entries: Iterable[PackEntry]
) -> Iterator[tuple[PackEntry, bytes]]:
    """Read many members of one pack with one open, in offset order, each checked."""
    with open_blob() as stream:
        for entry in sorted(entries, key=lambda e: (e.offset, e.path)):
            stream.seek(entry.offset)
            data = _read_exactly(stream, entry.size)
            _check(data, entry.size, entry.offset, entry.sha256)
            yield entry, data


def _unreadable(exc: OSError) -> None:
    raise InvalidInput(f"cannot list {exc.filename}: {exc.strerror}") from exc


def _ends_pack(f: SourceFile, average: int) -> bool:
    """True for about one file in every ``average / size`` bytes, decided by its path alone."""
    h = int.from_bytes(hashlib.sha256(f.path.encode("utf-8")).digest()[:8], "big")
    return h % average <= f.size


def _fill(out: BinaryIO, files: tuple[SourceFile, ...]) -> tuple[tuple[PackEntry, ...], str, int]:
    pack_hash = hashlib.sha256()
    entries: list[PackEntry] = []
    at: dict[str, int] = {}
    offset = 0
    for f in files:
        data = f.source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in at:
            at[digest] = offset
            out.write(data)
            pack_hash.update(data)
            offset += len(data)
        entries.append(PackEntry(f.path, digest, len(data), at[digest]))
    return tuple(entries), pack_hash.hexdigest(), offset


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _check(data: bytes, size: int, offset: int, sha256: str | None) -> None:
    if len(data) != size:
        raise StoreError(
            f"pack is truncated: wanted {size} bytes at offset {offset}, got {len(data)}"
        )
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise StoreError(
            f"packed file at offset {offset} does not match its SHA-256; the pack is damaged"
        )
