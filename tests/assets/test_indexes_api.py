"""sy.indexes: index versions record their embedder, chunker, source and size, and derive from it."""

from __future__ import annotations

import pandas as pd
import pytest

import shipyard as sy
from shipyard.assets.lineage import lineage_graph
from shipyard.core.errors import InvalidInput, NotFound

pytestmark = pytest.mark.usefixtures("registry_backend")


def test_index_version_metadata_and_lineage() -> None:
    sy.datasets.register(pd.DataFrame({"text": ["a", "b"]}), "docs")
    v = sy.indexes.register(
        "python-docs",
        embedder="all-MiniLM-L6-v2",
        chunker={"kind": "tokens", "size": 256, "overlap": 32},
        source="dataset:docs@1",
        documents=2,
    )
    assert v.ref == "index:python-docs@1"
    assert v.metadata == {
        "embedder": "all-MiniLM-L6-v2",
        "chunker": {"kind": "tokens", "size": 256, "overlap": 32},
        "source": "dataset:docs@1",
        "documents": 2,
    }
    assert sy.indexes.get("index:python-docs@latest").version == 1
    up = lineage_graph("index:python-docs@1", "up")
    assert ("dataset:docs@1", "index:python-docs@1", "derived_from") in up.edges


def test_index_needs_an_existing_source() -> None:
    with pytest.raises(NotFound):
        sy.indexes.register("i", embedder="e", chunker="c", source="dataset:nope@1", documents=1)
    with pytest.raises(InvalidInput):
        sy.indexes.register("i", embedder="e", chunker="c", source="model:x@1", documents=1)
