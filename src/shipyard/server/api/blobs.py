"""``/api/v1/blobs``: content-addressed uploads and downloads, streamed both ways."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from shipyard.core.digests import CHUNK, check_digest
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.server.deps import workspace
from shipyard.workspace import Workspace

router = APIRouter(tags=["blobs"])


def stream_blob(
    ws: Workspace,
    digest: str,
    filename: str | None = None,
    byte_range: tuple[int, int] | None = None,
) -> StreamingResponse:
    """Stream a blob, or only ``byte_range`` (first, last; inclusive) of it as HTTP 206."""
    fh = ws.blobs.open(digest)
    left: int | None = None
    headers = {"ETag": f'"{digest}"', "Accept-Ranges": "bytes"}
    status = 200
    if byte_range is not None:
        first, last = byte_range
        fh.seek(first)
        left = last - first + 1
        headers["Content-Range"] = f"bytes {first}-{last}/*"
        status = 206

    def chunks() -> Iterator[bytes]:
        remaining = left
        with fh:
            while remaining is None or remaining > 0:
                block = fh.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not block:
                    return
                if remaining is not None:
                    remaining -= len(block)
                yield block

    if filename:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        chunks(), status_code=status, media_type="application/octet-stream", headers=headers
    )


def parse_range(header: str | None) -> tuple[int, int] | None:
    """``bytes=first-last`` (one range, both ends given) or ``None`` for the whole blob."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    first, _, last = spec.partition("-")
    if (
        unit.strip() != "bytes"
        or not first.isdigit()
        or not last.isdigit()
        or int(last) < int(first)
    ):
        raise InvalidInput(f"unsupported Range {header!r}; send 'bytes=FIRST-LAST'")
    return int(first), int(last)


@router.get("/blobs")
def list_blobs(ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {
        "blobs": [{"digest": b.digest, "size": b.size, "mtime": b.mtime} for b in ws.blobs.scan()]
    }


@router.get("/blobs/referenced")
def referenced_blobs(ws: Workspace = Depends(workspace)) -> dict[str, Any]:
    return {"digests": sorted(ws.store.artifacts.referenced_digests())}


@router.head("/blobs/{digest}")
def head_blob(digest: str, ws: Workspace = Depends(workspace)) -> Response:
    if not ws.blobs.exists(check_digest(digest)):
        raise NotFound(f"no blob {digest[:12]}")
    return Response(status_code=200)


@router.get("/blobs/{digest}")
def get_blob(
    digest: str,
    range_: str | None = Header(default=None, alias="Range"),
    ws: Workspace = Depends(workspace),
) -> StreamingResponse:
    return stream_blob(ws, check_digest(digest), byte_range=parse_range(range_))


@router.put("/blobs/{digest}")
async def put_blob(
    digest: str, request: Request, ws: Workspace = Depends(workspace)
) -> dict[str, Any]:
    """Upload a blob whose SHA-256 is ``digest``; spooled to disk, checked, then stored."""
    check_digest(digest)
    h = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
        async for chunk in request.stream():
            h.update(chunk)
            spool.write(chunk)
        if h.hexdigest() != digest:
            raise InvalidInput(
                f"uploaded bytes hash to {h.hexdigest()[:12]}, not {digest[:12]}; upload again"
            )
        spool.seek(0)
        info = await run_in_threadpool(ws.blobs.put, spool)  # type: ignore[arg-type]
    return {"digest": info.digest, "size": info.size}


@router.delete("/blobs/{digest}")
def delete_blob(digest: str, ws: Workspace = Depends(workspace)) -> dict[str, int]:
    return {"freed": ws.blobs.delete(check_digest(digest))}
