"""Where stored relative paths land on the local disk, and which ones a prefix selects.

Shared by artifact and asset downloads: a stored path is re-checked on the
way out, so even a hostile server cannot make a download write outside its
destination folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from shipyard.core.errors import InvalidInput


class _HasPath(Protocol):
    @property
    def path(self) -> str: ...


T = TypeVar("T", bound=_HasPath)


def under_prefix(entries: Sequence[T], prefix: str) -> list[T]:
    """Entries whose path is ``prefix`` itself or lies in the folder ``prefix``."""
    return [e for e in entries if e.path == prefix or e.path.startswith(prefix + "/")]


class LocalFolder:
    """Where stored relative paths land under ``root``; nothing may land outside it.

    ``..`` or a symlink inside the destination could lead out; each distinct
    parent folder is resolved once and checked, so writing 10,000 files costs
    100 checks for 100 folders, not 10,000 full path resolutions.
    """

    def __init__(self, root: Path) -> None:
        self.base = root.resolve()
        self._checked: dict[str, Path] = {}

    def target(self, stored: str) -> Path:
        folder, _, name = stored.rpartition("/")
        parent = self._checked.get(folder)
        if parent is None:
            parent = (self.base / folder).resolve() if folder else self.base
            if not parent.is_relative_to(self.base) or name in ("", ".", ".."):
                raise InvalidInput(f"path {stored!r} escapes {self.base}")
            self._checked[folder] = parent
        target = parent / name
        if target.is_symlink() and not target.resolve().is_relative_to(self.base):
            raise InvalidInput(f"path {stored!r} escapes {self.base}")
        return target
