"""Opening a workspace from settings: a home folder, an explicit database, a server."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.blobs.local import LocalBlobStore
from shipyard.store.sql import SqlStore
from shipyard.workspace import current_workspace, reset_workspaces


def test_home_holds_database_and_blobs(isolated_home: Path) -> None:
    ws = sy.Workspace.open()
    try:
        assert isinstance(ws.store, SqlStore)
        assert isinstance(ws.blobs, LocalBlobStore)
        assert ws.location == str(isolated_home)
        assert ws.store.db.path == isolated_home / "shipyard.db"
        ws.blobs.put(io.BytesIO(b"x"))
        assert ws.blobs.root == (isolated_home / "blobs").resolve()  # type: ignore[attr-defined]
    finally:
        ws.close()
    assert (isolated_home / "shipyard.db").is_file()


def test_explicit_database_and_blob_folder(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_DB", postgres_url)
    monkeypatch.setenv("SHIPYARD_BLOBS", str(tmp_path / "team-blobs"))
    with sy.start_run(experiment="pg") as run:
        run.log_metric("m", 1.0)
        run.log_text("hello", "a.txt")
    ws = sy.Workspace.open()
    try:
        assert ws.store.db.dialect == "postgresql"  # type: ignore[attr-defined]
        assert ws.store.runs.get(run.id).metrics == {"m": 1.0}
    finally:
        ws.close()
    assert len([p for p in (tmp_path / "team-blobs").rglob("*") if p.is_file()]) == 1
    assert not (tmp_path / "home").exists()


def test_current_workspace_is_cached_per_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = current_workspace()
    assert current_workspace() is first
    monkeypatch.setenv("SHIPYARD_HOME", str(tmp_path / "other"))
    second = current_workspace()
    assert second is not first
    assert second.settings.home == tmp_path / "other"
    reset_workspaces()
    assert current_workspace() is not second


def test_server_settings_give_remote_stores() -> None:
    from shipyard.blobs.remote import RemoteBlobStore
    from shipyard.store.remote import RemoteStore

    ws = sy.Workspace.open(sy.Settings.load(uri="http://127.0.0.1:1/", token="t0k"))
    try:
        assert isinstance(ws.store, RemoteStore)
        assert isinstance(ws.blobs, RemoteBlobStore)
        assert ws.location == "http://127.0.0.1:1"
    finally:
        ws.close()
