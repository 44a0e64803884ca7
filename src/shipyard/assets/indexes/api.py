"""``sy.indexes``: register retrieval index versions with what made them.

An index version records its embedder, chunker, source dataset version and
document count, and is derived from that dataset version in the lineage. The
snapshot itself (vectors, an on-disk index) is filled in by the RAG layer of a
later issue; until then a version may carry no files, or files the caller has.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.assets.registry import register_files, use
from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef, parse_ref
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace


def register(
    name: str,
    *,
    embedder: str,
    chunker: str | Mapping[str, Any],
    source: str,
    documents: int,
    files: Mapping[str, Path | bytes] | None = None,
    extra: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
) -> AssetVersion:
    """Register an index version built by ``embedder`` over dataset version ``source``."""
    source_ref = parse_ref(source, "dataset")
    if documents < 0:
        raise InvalidInput(f"documents must be zero or more, got {documents}")
    if not embedder:
        raise InvalidInput("an index needs the name of the embedder that built it")
    source_version = use(source_ref, workspace=workspace)  # a run building it consumed the source
    metadata = {
        "embedder": embedder,
        "chunker": chunker if isinstance(chunker, str) else dict(chunker),
        "source": source_version.ref,
        "documents": documents,
        **dict(extra or {}),
    }
    version, _ = register_files(
        "index",
        name,
        dict(files or {}),
        metadata,
        derived_from=[source_version.ref],
        workspace=workspace,
    )
    return version


def get(ref: str | AssetRef, *, workspace: Workspace | None = None) -> AssetVersion:
    """An index version (embedder, chunker, source and document count are in ``.metadata``)."""
    return use(ref, "index", workspace=workspace)
