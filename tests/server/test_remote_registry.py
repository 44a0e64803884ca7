"""The Python registry API runs unchanged against a team server (SHIPYARD_URI)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard.assets.lineage import lineage_graph


@pytest.fixture
def remote(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHIPYARD_URI", live_server.url)
    return live_server


def test_datasets_prompts_and_lineage_over_http(remote, tmp_path: Path) -> None:
    df = pd.DataFrame({"id": [1, 2, 3], "y": [0.5, 1.5, 2.5]})
    with sy.start_run(experiment="remote", name="prep") as run:
        v = sy.datasets.register(df, "credit")
    assert v.run_id == run.id
    pd.testing.assert_frame_equal(sy.datasets.load("dataset:credit@1"), df)

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(50):
        (docs / f"{i}.txt").write_text(f"doc {i}")
    sy.datasets.register(docs, "docs")
    with sy.datasets.open_file("dataset:docs@1", "42.txt") as fh:
        assert fh.read() == b"doc 42"

    sy.prompts.create("support", "Q: {{ q }}\nA:")
    assert sy.prompts.render("prompt:support", q="hi") == [{"role": "user", "content": "Q: hi\nA:"}]

    graph = lineage_graph("dataset:credit@1", "up")
    assert f"run:{run.id}" in graph.nodes
    # Everything lives in the server's store, none of it in the client's home.
    server = remote.workspace.store
    assert {a.name for a in server.assets.list()} == {"credit", "docs", "support"}
    assert not (tmp_path / "home" / "shipyard.db").exists()


def test_one_packed_file_is_fetched_by_range_not_the_whole_pack(
    remote, tmp_path: Path, monkeypatch
) -> None:
    from shipyard.blobs.remote import RemoteBlobStore

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(200):
        (docs / f"{i}.txt").write_text(f"doc {i}" * 100)
    sy.datasets.register(docs, "docs")

    def no_whole_blobs(self, digest):  # type: ignore[no-untyped-def]
        raise AssertionError("a whole pack was downloaded for one file")

    monkeypatch.setattr(RemoteBlobStore, "open", no_whole_blobs)
    with sy.datasets.open_file("dataset:docs@1", "123.txt") as fh:
        assert fh.read() == b"doc 123" * 100
    from shipyard.assets.download import download_version

    (written,) = download_version("dataset:docs@1", tmp_path / "out", "77.txt")
    assert written.read_bytes() == b"doc 77" * 100


def test_models_indexes_and_aliases_over_http(remote) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from shipyard.assets.aliases import move_alias, protect_alias
    from shipyard.core.errors import Forbidden

    x = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(x, [0, 0, 1, 1])
    v = sy.models.register(model, "m", sample_input=x)
    np.testing.assert_array_equal(sy.models.load(v.ref).predict(x), model.predict(x))

    move_alias("model:m@1", "production")
    protect_alias("model:m", "production")
    with pytest.raises(Forbidden):
        move_alias("model:m@1", "production")
    assert sy.models.get("model:m@production").version == 1

    sy.datasets.register(x, "docs")
    idx = sy.indexes.register("i", embedder="e", chunker="c", source="dataset:docs@1", documents=4)
    assert idx.metadata["source"] == "dataset:docs@1"
    assert {(a.kind, a.name) for a in remote.workspace.store.assets.list()} >= {
        ("model", "m"),
        ("index", "i"),
    }
