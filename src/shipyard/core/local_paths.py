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


def local_target(root: Path, stored: str) -> Path:
    """``root / stored``, refused when ``..`` or a symlink would take it outside ``root``."""
    base = root.resolve()
    target = (base / stored).resolve()
    if not target.is_relative_to(base):
        raise InvalidInput(f"path {stored!r} escapes {base}")
    return target
