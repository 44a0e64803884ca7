"""The registry over REST: RemoteStore's asset, alias and lineage repositories against a real server."""

from __future__ import annotations

import io

import pytest

from shipyard.blobs.remote import RemoteBlobStore
from shipyard.core.errors import Forbidden, NotFound
from shipyard.core.http import ApiClient
from shipyard.core.refs import parse_ref
from shipyard.store.asset_records import AssetFile
from shipyard.store.remote import RemoteStore


@pytest.fixture
def remote(live_server):  # type: ignore[no-untyped-def]
    api = ApiClient(live_server.url)
    yield RemoteStore(api), RemoteBlobStore(api), live_server.workspace
    api.close()


def test_register_resolve_alias_and_lineage_over_rest(remote) -> None:
    store, blobs, server_ws = remote
    info = blobs.put(io.BytesIO(b"model bytes"))
    f = AssetFile("model.skops", info.digest, info.size)
    exp = store.experiments.get_or_create("e")
    run = store.runs.create(exp.id, "train")
    v1, created = store.assets.register("model", "churn", [f], {"flavor": "sklearn"}, run_id=run.id)
    assert created and v1.ref == "model:churn@1"
    assert store.assets.register("model", "churn", [f])[1] is False

    store.aliases.move(parse_ref("model:churn@1"), "production", moved_by="ana")
    assert store.assets.resolve("model:churn@production").version == 1
    assert [a.alias for a in store.aliases.list(parse_ref("model:churn"))] == ["production"]
    assert store.aliases.history(parse_ref("model:churn"))[0].moved_by == "ana"

    # A remote caller cannot claim a passing check to move a protected alias.
    store.aliases.protect(parse_ref("model:churn"), "production")
    with pytest.raises(Forbidden):
        store.aliases.move(parse_ref("model:churn@1"), "production", authorized=True)

    edges = store.lineage.edges(runs=[run.id])
    assert [(e.relation, e.version) for e in edges] == [("produced", "model:churn@1")]
    assert store.assets.referenced_digests() == {info.digest}
    # The server's own store holds it all.
    assert server_ws.store.assets.resolve("model:churn@production").metadata == {
        "flavor": "sklearn"
    }


def test_registering_files_never_uploaded_is_refused(remote) -> None:
    store, _blobs, _ = remote
    with pytest.raises(NotFound, match="never uploaded"):
        store.assets.register("dataset", "d", [AssetFile("a.csv", "e" * 64, 3)])


def test_reference_errors_cross_the_wire(remote) -> None:
    store, _blobs, _ = remote
    with pytest.raises(NotFound, match="no model named"):
        store.assets.resolve("model:nothing@1")
