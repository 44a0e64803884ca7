"""Downloads never write outside their destination, whatever the stored paths or the symlinks say."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.core.local_paths import LocalFolder, under_prefix


def test_targets_stay_inside(tmp_path: Path) -> None:
    folder = LocalFolder(tmp_path / "out")
    assert folder.target("a/b/c.txt") == (tmp_path / "out").resolve() / "a" / "b" / "c.txt"
    assert folder.target("top.txt") == (tmp_path / "out").resolve() / "top.txt"
    with pytest.raises(InvalidInput, match="escapes"):
        folder.target("../evil.txt")
    with pytest.raises(InvalidInput, match="escapes"):
        folder.target("a/..")


def test_a_symlinked_folder_or_file_cannot_lead_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    (out / "file-link").symlink_to(outside / "x.txt")
    folder = LocalFolder(out)
    with pytest.raises(InvalidInput, match="escapes"):
        folder.target("link/x.txt")
    with pytest.raises(InvalidInput, match="escapes"):
        folder.target("file-link")


def test_under_prefix_selects_a_file_or_a_folder() -> None:
    class E:
        def __init__(self, path: str) -> None:
            self.path = path

    entries = [E("a.txt"), E("docs/x.md"), E("docs/y/z.md"), E("docs2/w.md")]
    assert [e.path for e in under_prefix(entries, "docs")] == ["docs/x.md", "docs/y/z.md"]
    assert [e.path for e in under_prefix(entries, "a.txt")] == ["a.txt"]
