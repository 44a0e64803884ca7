"""The fsspec blob store against a real S3 API (moto's server), and a workspace that uses it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.blobs import open_blob_store
from shipyard.blobs.fsspec_store import FsspecBlobStore


def _keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    body = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in body.get("Contents", []))


def test_objects_are_sharded_under_the_prefix(s3_env: str, bucket: str) -> None:
    store = open_blob_store(f"s3://{bucket}/team/blobs", client_kwargs={"endpoint_url": s3_env})
    assert isinstance(store, FsspecBlobStore)
    info = store.put(io.BytesIO(b"model weights"))
    assert _keys(s3_env, bucket) == [f"team/blobs/{info.digest[:2]}/{info.digest[2:]}"]


def test_endpoint_from_shipyard_variable(
    s3_env: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_S3_ENDPOINT_URL", s3_env)
    store = open_blob_store(f"s3://{bucket}/p")
    digest = store.put(io.BytesIO(b"via env")).digest
    assert _keys(s3_env, bucket) == [f"p/{digest[:2]}/{digest[2:]}"]


def test_prefixes_in_one_bucket_are_separate(s3_env: str, bucket: str) -> None:
    opts = {"client_kwargs": {"endpoint_url": s3_env}}
    a = open_blob_store(f"s3://{bucket}/a", **opts)
    b = open_blob_store(f"s3://{bucket}/b", **opts)
    digest = a.put(io.BytesIO(b"only in a")).digest
    b.put(io.BytesIO(b"only in b"))
    assert [i.digest for i in a.scan()] == [digest]
    assert not b.exists(digest)
    assert len(list(b.scan())) == 1


def test_scan_ignores_foreign_objects(s3_env: str, bucket: str) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_env, region_name="us-east-1")
    client.put_object(Bucket=bucket, Key="p/README.txt", Body=b"not a blob")
    client.put_object(Bucket=bucket, Key="p/abc/def/ghi", Body=b"nor this")
    store = open_blob_store(f"s3://{bucket}/p", client_kwargs={"endpoint_url": s3_env})
    digest = store.put(io.BytesIO(b"blob")).digest
    assert [i.digest for i in store.scan()] == [digest]


def test_empty_prefix_scans_empty(s3_env: str, bucket: str) -> None:
    store = open_blob_store(f"s3://{bucket}/nothing/here", client_kwargs={"endpoint_url": s3_env})
    assert list(store.scan()) == []


def test_workspace_keeps_artifacts_in_s3(
    s3_env: str, bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHIPYARD_BLOBS", f"s3://{bucket}/artifacts")
    monkeypatch.setenv("SHIPYARD_S3_ENDPOINT_URL", s3_env)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"\x00\x01" * 1000)
    (tmp_path / "model" / "config.json").write_text('{"layers": 3}')

    with sy.start_run(experiment="s3") as run:
        entries = run.log_artifact(tmp_path / "model")
    digests = {e.digest for e in entries}
    keys = _keys(s3_env, bucket, "artifacts/")
    assert keys == sorted(f"artifacts/{d[:2]}/{d[2:]}" for d in digests)
    # nothing went to the local home
    assert not (tmp_path / "home" / "blobs").exists()

    files = sy.download_artifacts(run.id, dst=tmp_path / "out")
    assert {p.name for p in files} == {"weights.bin", "config.json"}
    assert (tmp_path / "out" / "model" / "weights.bin").read_bytes() == b"\x00\x01" * 1000

    sy.delete_run(run.id)
    ws = sy.Workspace.open()
    try:
        report = sy.collect_garbage(ws, grace_seconds=0)
    finally:
        ws.close()
    assert report.deleted == 2
    assert report.bytes_freed == 2000 + len('{"layers": 3}')
    assert _keys(s3_env, bucket, "artifacts/") == []
