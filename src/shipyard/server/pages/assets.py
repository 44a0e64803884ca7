"""``/ui/assets``: the registry, one asset's versions and aliases, one version and its files.

A version page accepts a number or an alias (``/ui/assets/model/churn/production``)
and shows the version it resolves to; file links always use the number, so a
download cannot change under the user when the alias moves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from shipyard.core.digests import CHUNK
from shipyard.core.errors import NotFound
from shipyard.core.refs import KINDS, AssetRef, check_asset_name, check_kind, parse_ref
from shipyard.server.api.blobs import stream_blob
from shipyard.server.pages.asset_metadata import metadata_view
from shipyard.server.pages.lineage import asset_url, lineage_view
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.store.asset_records import AssetFile, AssetVersion
from shipyard.store.records import Run
from shipyard.store.validation import check_artifact_path
from shipyard.workspace import Workspace

router = page_router()
KIND_LABELS = {"dataset": "Datasets", "model": "Models", "prompt": "Prompts", "index": "Indexes"}
MAX_FILES_SHOWN = 500


@router.get("/ui/assets")
def assets_page(request: Request, ws: WorkspaceDep, kind: str | None = None) -> Response:
    """Every asset, or those of one ``kind``, with their latest version and aliases."""
    if kind:
        check_kind(kind)
    everything = ws.store.assets.list()
    counts = Counter(a.kind for a in everything)
    tabs = [("All", "/ui/assets", len(everything), not kind)]
    tabs += [(KIND_LABELS.get(k, k), f"/ui/assets?kind={k}", counts[k], kind == k) for k in KINDS]
    return render(
        request,
        "assets.html",
        {
            "title": KIND_LABELS.get(kind or "", "Assets"),
            "kind": kind or None,
            "kind_label": KIND_LABELS.get(kind or "", "Assets"),
            "assets": [a for a in everything if not kind or a.kind == kind],
            "tabs": tabs,
            "total": len(everything),
        },
    )


@router.get("/ui/assets/{kind}/{name}")
def asset_page(request: Request, ws: WorkspaceDep, kind: str, name: str) -> Response:
    """One asset: its versions, its aliases and every move of them."""
    ref = AssetRef(check_kind(kind), check_asset_name(name))
    versions = ws.store.assets.versions(kind, name)
    asset = next((a for a in ws.store.assets.list(kind) if a.name == name), None)
    history = ws.store.aliases.history(ref)
    return render(
        request,
        "asset.html",
        {
            "title": ref.base,
            "ref": ref,
            "asset": asset,
            "kind_label": KIND_LABELS.get(kind, kind),
            "versions": versions,
            "aliases": ws.store.aliases.list(ref),
            "history": history,
            "runs": run_names(ws, (v.run_id for v in versions)),
            "version_url": lambda v: asset_url(kind, name, v),
        },
    )


@router.get("/ui/assets/{kind}/{name}/{selector}")
def version_page(
    request: Request, ws: WorkspaceDep, kind: str, name: str, selector: str
) -> Response:
    """One version (``selector`` is a number, an alias or ``latest``): metadata, files, lineage."""
    wanted = _parse(kind, name, selector)
    version = ws.store.assets.resolve(wanted)
    files = ws.store.assets.files(version.ref)
    numbers = [v.version for v in ws.store.assets.versions(kind, name)]
    older = [n for n in numbers if n < version.version]
    newer = [n for n in numbers if n > version.version]
    producer = run_names(ws, [version.run_id]).get(version.run_id or "")
    return render(
        request,
        "asset_version.html",
        {
            "title": version.ref,
            "asset_version": version,  # not "version": that is shipyard's, in the layout
            "wanted": wanted,
            "kind_label": KIND_LABELS.get(kind, kind),
            "asset_url": asset_url(kind, name),
            "previous_url": asset_url(kind, name, max(older)) if older else None,
            "next_url": asset_url(kind, name, min(newer)) if newer else None,
            "latest": max(numbers, default=version.version),
            "producer": producer,
            "metadata": metadata_view(version.metadata),
            "files": [(f, file_url(version, f.path)) for f in files[:MAX_FILES_SHOWN]],
            "more_files": max(len(files) - MAX_FILES_SHOWN, 0),
            "files_size": sum(f.size for f in files),
            "file_count": len(files),
            "upstream": lineage_view(ws, version.ref, "up"),
            "downstream": lineage_view(ws, version.ref, "down"),
            "version_url": lambda v: asset_url(kind, name, v),
        },
    )


@router.get("/ui/assets/{kind}/{name}/{selector}/files/{path:path}")
def download_file(ws: WorkspaceDep, kind: str, name: str, selector: str, path: str) -> Response:
    """One file of a version, streamed; a packed file is read from its range of the pack."""
    wanted_path = check_artifact_path(path)
    version = ws.store.assets.resolve(_parse(kind, name, selector))
    for entry in ws.store.assets.files(version.ref):
        if entry.path == wanted_path:
            filename = wanted_path.rsplit("/", 1)[-1]
            if entry.pack_digest is None:
                return stream_blob(ws, entry.digest, filename=filename)
            return stream_packed(ws, entry, filename)
    raise NotFound(f"{version.ref} has no file {path!r}")


def stream_packed(ws: Workspace, entry: AssetFile, filename: str) -> StreamingResponse:
    """``entry.size`` bytes from ``entry.pack_offset`` of its pack blob."""
    assert entry.pack_digest is not None
    fh = ws.blobs.open(entry.pack_digest)
    try:
        fh.seek(entry.pack_offset or 0)
    except BaseException:
        fh.close()
        raise

    def chunks() -> Iterator[bytes]:
        with fh:
            left = entry.size
            while left > 0 and (block := fh.read(min(CHUNK, left))):
                left -= len(block)
                yield block

    headers = {
        "ETag": f'"{entry.digest}"',
        "Content-Length": str(entry.size),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
    }
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


def file_url(version: AssetVersion, path: str) -> str:
    return f"{asset_url(version.kind, version.name, version.version)}/files/{quote(path, safe='/')}"


def run_names(ws: Workspace, run_ids: Iterable[str | None]) -> dict[str, Run | None]:
    """The runs behind ``run_ids`` (``None`` for one deleted since), each looked up once."""
    found: dict[str, Run | None] = {}
    for run_id in run_ids:
        if run_id and run_id not in found:
            try:
                found[run_id] = ws.store.runs.get(run_id)
            except NotFound:
                found[run_id] = None
    return found


def _parse(kind: str, name: str, selector: str) -> AssetRef:
    """A reference from the URL's parts; each part is checked alone so '@' cannot sneak in."""
    check_kind(kind)
    check_asset_name(name)
    return parse_ref(f"{kind}:{name}@{selector}")
