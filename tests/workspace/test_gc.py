"""Garbage collection frees exactly the blobs no run refers to any more."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.workspace import GcReport


@pytest.fixture
def ws() -> Iterator[sy.Workspace]:
    workspace = sy.Workspace.open()
    yield workspace
    workspace.close()


def _file(folder: Path, name: str, size: int, fill: bytes) -> Path:
    path = folder / name
    path.write_bytes((fill * size)[:size])
    return path


def _blob_digests(ws: sy.Workspace) -> set[str]:
    return {b.digest for b in ws.blobs.scan()}


def test_deleting_a_run_frees_exactly_its_own_blobs(ws: sy.Workspace, tmp_path: Path) -> None:
    own_a = _file(tmp_path, "a.bin", 100, b"a")
    own_b = _file(tmp_path, "b.bin", 250, b"b")
    shared = _file(tmp_path, "shared.bin", 1000, b"s")
    other = _file(tmp_path, "other.bin", 40, b"o")

    with sy.start_run(workspace=ws) as doomed:
        doomed.log_artifact(own_a)
        doomed.log_artifact(own_b)
        doomed.log_artifact(shared)
    with sy.start_run(workspace=ws) as survivor:
        survivor.log_artifact(shared, artifact_path="copy/shared.bin")
        survivor.log_artifact(other)
    assert len(_blob_digests(ws)) == 4

    sy.delete_run(doomed.id, workspace=ws)
    report = sy.collect_garbage(ws, grace_seconds=0)

    assert report == GcReport(scanned=4, deleted=2, bytes_freed=350, kept_young=0, dry_run=False)
    survivor_digests = {e.digest for e in ws.store.artifacts.list(survivor.id)}
    assert _blob_digests(ws) == survivor_digests
    files = sy.download_artifacts(survivor.id, dst=tmp_path / "out", workspace=ws)
    assert sorted(p.stat().st_size for p in files) == [40, 1000]
    # a second pass finds nothing more to do
    again = sy.collect_garbage(ws, grace_seconds=0)
    assert (again.scanned, again.deleted, again.bytes_freed) == (2, 0, 0)


def test_dry_run_reports_but_deletes_nothing(ws: sy.Workspace, tmp_path: Path) -> None:
    with sy.start_run(workspace=ws) as run:
        run.log_artifact(_file(tmp_path, "x.bin", 123, b"x"))
        run.log_artifact(_file(tmp_path, "y.bin", 77, b"y"))
    sy.delete_run(run.id, workspace=ws)
    before = _blob_digests(ws)

    report = sy.collect_garbage(ws, grace_seconds=0, dry_run=True)

    assert report == GcReport(scanned=2, deleted=2, bytes_freed=200, kept_young=0, dry_run=True)
    assert _blob_digests(ws) == before
    assert report.to_dict() == {
        "scanned": 2,
        "deleted": 2,
        "bytes_freed": 200,
        "kept_young": 0,
        "dry_run": True,
    }


def test_grace_period_keeps_young_blobs(ws: sy.Workspace, tmp_path: Path) -> None:
    with sy.start_run(workspace=ws) as run:
        run.log_artifact(_file(tmp_path, "young.bin", 64, b"y"))
    sy.delete_run(run.id, workspace=ws)

    report = sy.collect_garbage(ws)  # default grace: five minutes

    assert report == GcReport(scanned=1, deleted=0, bytes_freed=0, kept_young=1, dry_run=False)
    assert len(_blob_digests(ws)) == 1


def _age(ws: sy.Workspace, digest: str, seconds: float) -> None:
    path = Path(ws.settings.blobs) / digest[:2] / digest[2:]
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_old_unreferenced_blobs_go_after_the_grace_period(ws: sy.Workspace) -> None:
    info = ws.blobs.put(io.BytesIO(b"orphan"))  # uploaded, never recorded
    _age(ws, info.digest, 3600)
    report = sy.collect_garbage(ws, grace_seconds=600)
    assert (report.deleted, report.bytes_freed, report.kept_young) == (1, 6, 0)
    assert not ws.blobs.exists(info.digest)


def test_a_blob_uploaded_again_is_young_again(ws: sy.Workspace) -> None:
    """The upload-then-record window: an old orphan that a client just put again must survive."""
    info = ws.blobs.put(io.BytesIO(b"model weights"))
    _age(ws, info.digest, 3600)
    again = ws.blobs.put(io.BytesIO(b"model weights"))  # deduplicated: same digest
    assert again.digest == info.digest
    report = sy.collect_garbage(ws, grace_seconds=600)
    assert (report.deleted, report.kept_young) == (0, 1)
    assert ws.blobs.exists(info.digest)


def test_deleting_an_experiment_frees_its_runs_blobs(ws: sy.Workspace, tmp_path: Path) -> None:
    with sy.start_run(experiment="tmp", workspace=ws) as parent:
        with sy.start_run(workspace=ws) as child:
            child.log_text("child output", "out.txt")
        parent.log_text("parent output", "out.txt")
    sy.delete_experiment("tmp", workspace=ws)
    report = sy.collect_garbage(ws, grace_seconds=0)
    assert report.deleted == 2
    assert report.bytes_freed == len("child output") + len("parent output")
    assert _blob_digests(ws) == set()


def test_empty_workspace() -> None:
    ws = sy.Workspace.open()
    try:
        assert sy.collect_garbage(ws, grace_seconds=0) == GcReport(0, 0, 0, 0, False)
    finally:
        ws.close()
