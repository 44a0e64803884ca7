"""Small files packed into few blobs, each read back byte-identical by one seek."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from shipyard.assets.datasets import (
    DirectFile,
    PlannedFile,
    PlannedPack,
    WrittenPack,
    iter_members,
    plan_packs,
    read_member,
    write_packs,
)
from shipyard.core.errors import InvalidInput, StoreError


def _tree(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"alpha",
        "empty": b"",
        "same-1.txt": b"duplicate content",
        "same-2.txt": b"duplicate content",
        "sub/deeper/ünïcode ✓.json": '{"k": "日本"}'.encode(),
        "sub/b.bin": bytes(range(256)) * 4,
        "big.dat": os.urandom(3000),
    }
    for i in range(60):
        files[f"many/{i:03d}.txt"] = f"file {i} ".encode() * 20
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def _opener(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)


def _store(root: Path, **limits: int) -> tuple[dict[str, bytes], list[WrittenPack | DirectFile]]:
    """Pack ``root`` as a registry would: keep each pack's bytes before the temp file goes."""
    blobs: dict[str, bytes] = {}
    items = []
    for item in write_packs(plan_packs(root, **limits)):
        if isinstance(item, WrittenPack):
            data = item.file.read_bytes()
            assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size
            blobs[item.sha256] = data
        items.append(item)
    return blobs, items


def test_round_trip_every_file_byte_identical(tmp_path: Path) -> None:
    files = _tree(tmp_path / "data")
    blobs, items = _store(tmp_path / "data", small_file_limit=2048, pack_target=4096)
    packs = [i for i in items if isinstance(i, WrittenPack)]
    direct = [i for i in items if isinstance(i, DirectFile)]
    assert len(packs) > 1 and all(p.size <= 4096 for p in packs)
    assert [d.path for d in direct] == ["big.dat"]
    assert direct[0].sha256 == hashlib.sha256(files["big.dat"]).hexdigest()
    seen = {}
    for pack in packs:
        for entry in pack.entries:
            data = read_member(_opener(blobs[pack.sha256]), entry.offset, entry.size, entry.sha256)
            seen[entry.path] = data
        streamed = dict(iter_members(_opener(blobs[pack.sha256]), reversed(pack.entries)))
        assert {e.path: d for e, d in streamed.items()} == {
            e.path: seen[e.path] for e in pack.entries
        }
    assert seen == {k: v for k, v in files.items() if k != "big.dat"}


def test_identical_files_are_stored_once_per_pack(tmp_path: Path) -> None:
    _tree(tmp_path / "data")
    _, items = _store(tmp_path / "data")
    (pack,) = [i for i in items if isinstance(i, WrittenPack)]
    where = {e.path: e for e in pack.entries}
    assert where["same-1.txt"].offset == where["same-2.txt"].offset
    assert pack.size == sum(e.size for e in {e.offset: e for e in pack.entries}.values())


def test_plan_is_deterministic_and_sorted(tmp_path: Path) -> None:
    _tree(tmp_path / "data")
    plan = plan_packs(tmp_path / "data", small_file_limit=2048, pack_target=4096)
    assert plan == plan_packs(tmp_path / "data", small_file_limit=2048, pack_target=4096)
    paths = [f.path for p in plan if isinstance(p, PlannedPack) for f in p.files]
    assert paths == sorted(paths)
    assert isinstance(plan[-1], PlannedFile) and plan[-1].file.path == "big.dat"


def test_adding_a_file_changes_few_packs(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    for i in range(2000):
        (root / f"{i:05d}.txt").write_bytes(b"%05d" % i * 20)
    before = {i.sha256 for i in write_packs(plan_packs(root, pack_target=20_000))}
    (root / "00999-new.txt").write_bytes(b"new" * 30)
    after = {i.sha256 for i in write_packs(plan_packs(root, pack_target=20_000))}
    assert len(before) > 8
    assert len(after - before) <= 2, (len(before), len(after - before))


def test_temporary_pack_files_are_removed(tmp_path: Path) -> None:
    _tree(tmp_path / "data")
    work = tmp_path / "work"
    work.mkdir()
    names = [
        i.file
        for i in write_packs(plan_packs(tmp_path / "data"), workdir=work)
        if isinstance(i, WrittenPack)
    ]
    assert names and list(work.iterdir()) == []
    iterator = write_packs(plan_packs(tmp_path / "data"), workdir=work)
    first = next(iterator)
    assert isinstance(first, WrittenPack) and first.file.exists()
    iterator.close()
    assert not first.file.exists()


def test_file_symlinks_are_followed_and_bad_trees_refused(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (tmp_path / "outside.txt").write_bytes(b"linked")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    (root / "loop").symlink_to(root, target_is_directory=True)
    (pack,) = write_packs(plan_packs(root))
    assert isinstance(pack, WrittenPack) and [e.path for e in pack.entries] == ["link.txt"]
    (root / "broken").symlink_to(tmp_path / "gone")
    with pytest.raises(InvalidInput, match="broken"):
        plan_packs(root)
    with pytest.raises(InvalidInput, match="not a folder"):
        plan_packs(tmp_path / "outside.txt")


def test_damaged_packs_and_bad_ranges() -> None:
    data = b"0123456789"
    assert read_member(_opener(data), 3, 4) == b"3456"
    with pytest.raises(StoreError, match="truncated"):
        read_member(_opener(data), 8, 5)
    with pytest.raises(StoreError, match="SHA-256"):
        read_member(_opener(data), 0, 2, hashlib.sha256(b"xx").hexdigest())
    with pytest.raises(InvalidInput, match="bad pack range"):
        read_member(_opener(data), -1, 2)


def test_ten_thousand_small_files_pack_in_seconds(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for d in range(100):
        (root / f"d{d:02d}").mkdir(parents=True)
    payload = os.urandom(1024)
    for i in range(10_000):
        (root / f"d{i % 100:02d}" / f"f{i:05d}.bin").write_bytes(payload[i % 7 :] + b"%d" % i)
    start = time.perf_counter()
    count = packs = 0
    for item in write_packs(plan_packs(root)):
        assert isinstance(item, WrittenPack)
        count += len(item.entries)
        packs += 1
    took = time.perf_counter() - start
    print(f"packed 10,000 files of ~1 KiB into {packs} pack(s) in {took:.2f}s")
    assert count == 10_000
    assert took < 30
