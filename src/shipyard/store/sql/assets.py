"""Asset versions: register (deduplicated by manifest digest), resolve references, list, delete."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from shipyard.core.clock import now_ms
from shipyard.core.digests import digest_bytes
from shipyard.core.errors import Conflict, InvalidInput
from shipyard.core.refs import AssetRef, check_asset_name, check_kind, parse_ref
from shipyard.store.asset_records import Asset, AssetFile, AssetVersion
from shipyard.store.database import Database
from shipyard.store.sql.asset_lookup import (
    add_edge,
    find_asset_id,
    require_asset,
    resolve_version_id,
)
from shipyard.store.sql.lookup import require_run
from shipyard.store.tables import aliases, asset_files, asset_versions, assets
from shipyard.store.validation import check_artifact_path

_RETRIES = 5


def manifest_digest(files: Sequence[AssetFile]) -> str:
    """The content address of a version: its sorted (path, file digest) pairs."""
    body = json.dumps(sorted((f.path, f.digest) for f in files), separators=(",", ":"))
    return digest_bytes(body.encode())


class SqlAssets:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register(
        self,
        kind: str,
        name: str,
        files: Sequence[AssetFile],
        metadata: Mapping[str, Any] | None = None,
        *,
        run_id: str | None = None,
        created_by: str | None = None,
        derived_from: Sequence[str] = (),
    ) -> tuple[AssetVersion, bool]:
        """Store a new version, or return the latest one when its content is identical.

        Returns ``(version, created)``. Only the latest version is compared, so
        registering an older content again (a revert) makes a new version.
        """
        check_kind(kind)
        check_asset_name(name)
        files = [
            AssetFile(check_artifact_path(f.path), f.digest, f.size, f.pack_digest, f.pack_offset)
            for f in files
        ]
        digest = manifest_digest(files)
        try:
            meta = json.dumps(dict(metadata or {}), sort_keys=True, allow_nan=False, default=str)
        except ValueError as exc:
            raise InvalidInput(
                f"version metadata must be plain JSON (no NaN or infinity): {exc}"
            ) from None

        def work(conn: Connection) -> tuple[int, bool]:
            if run_id is not None:
                require_run(conn, run_id)
            sources = [resolve_version_id(conn, parse_ref(r)) for r in derived_from]
            asset_id = find_asset_id(conn, kind, name, create=True)
            assert asset_id is not None
            latest = conn.execute(
                select(asset_versions.c.id, asset_versions.c.version, asset_versions.c.digest)
                .where(asset_versions.c.asset_id == asset_id)
                .order_by(asset_versions.c.version.desc())
                .limit(1)
            ).first()
            if latest is not None and latest.digest == digest:
                version_id, created = latest.id, False
            else:
                number = 1 if latest is None else latest.version + 1
                version_id = conn.execute(
                    insert(asset_versions)
                    .values(
                        asset_id=asset_id,
                        version=number,
                        digest=digest,
                        meta=meta,
                        created_at=now_ms(),
                        created_by=created_by,
                        run_id=run_id,
                    )
                    .returning(asset_versions.c.id)
                ).scalar_one()
                if files:
                    conn.execute(
                        insert(asset_files),
                        [{"version_id": version_id, **f.to_dict()} for f in files],
                    )
                for source in sources:
                    add_edge(conn, "derived_from", version_id, source_version_id=source)
                created = True
            if run_id is not None:
                add_edge(conn, "produced", version_id, run_id=run_id)
            return version_id, created

        for attempt in range(_RETRIES):
            try:
                version_id, created = self.db.write(work)
                break
            except IntegrityError:  # another writer took the same version number
                if attempt == _RETRIES - 1:
                    raise
        with self.db.read() as conn:
            return _load(conn, [version_id])[0], created

    def resolve(self, ref: str | AssetRef) -> AssetVersion:
        """The version a reference names; unknown names get the closest existing names."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        with self.db.read() as conn:
            return _load(conn, [resolve_version_id(conn, parsed)])[0]

    def list(self, kind: str | None = None) -> builtins.list[Asset]:
        if kind is not None:
            check_kind(kind)
        with self.db.read() as conn:
            stats = (
                select(
                    asset_versions.c.asset_id,
                    func.max(asset_versions.c.version).label("latest"),
                    func.count().label("n"),
                )
                .group_by(asset_versions.c.asset_id)
                .subquery()
            )
            stmt = (
                select(assets, stats.c.latest, stats.c.n)
                .join(stats, stats.c.asset_id == assets.c.id, isouter=True)
                .order_by(assets.c.kind, assets.c.name)
            )
            if kind is not None:
                stmt = stmt.where(assets.c.kind == kind)
            rows = conn.execute(stmt).all()
            names = _alias_map(conn, [r.id for r in rows])
        return [
            Asset(
                kind=r.kind,
                name=r.name,
                created_at=r.created_at,
                description=r.description,
                latest_version=r.latest,
                version_count=r.n or 0,
                aliases=names.get(r.id, {}),
            )
            for r in rows
        ]

    def versions(self, kind: str, name: str) -> builtins.list[AssetVersion]:
        with self.db.read() as conn:
            asset_id = require_asset(conn, kind, name)
            ids = conn.execute(
                select(asset_versions.c.id)
                .where(asset_versions.c.asset_id == asset_id)
                .order_by(asset_versions.c.version.desc())
            ).scalars()
            return _load(conn, builtins.list(ids))

    def files(self, ref: str | AssetRef, path: str | None = None) -> builtins.list[AssetFile]:
        """The version's files in path order, or only the one at ``path`` (an indexed lookup)."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        with self.db.read() as conn:
            version_id = resolve_version_id(conn, parsed)
            stmt = select(asset_files).where(asset_files.c.version_id == version_id)
            if path is not None:
                stmt = stmt.where(asset_files.c.path == path)
            rows = conn.execute(stmt.order_by(asset_files.c.path)).all()
        return [AssetFile(r.path, r.digest, r.size, r.pack_digest, r.pack_offset) for r in rows]

    def delete(self, ref: str | AssetRef, *, whole_asset: bool = False) -> None:
        """Delete one version (refused while an alias points at it), or every version."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref

        def work(conn: Connection) -> None:
            if whole_asset:
                asset_id = require_asset(conn, parsed.kind, parsed.name)
                conn.execute(delete(assets).where(assets.c.id == asset_id))
                return
            version_id = resolve_version_id(conn, parsed)
            held = builtins.list(
                conn.execute(
                    select(aliases.c.alias).where(aliases.c.version_id == version_id)
                ).scalars()
            )
            if held:
                raise Conflict(
                    f"{parsed} is {', '.join(held)}: move or delete the alias before deleting "
                    "the version"
                )
            conn.execute(delete(asset_versions).where(asset_versions.c.id == version_id))

        self.db.write(work)

    def referenced_digests(self) -> set[str]:
        with self.db.read() as conn:
            own = set(conn.execute(select(asset_files.c.digest).distinct()).scalars())
            packs = conn.execute(
                select(asset_files.c.pack_digest)
                .where(asset_files.c.pack_digest.is_not(None))
                .distinct()
            ).scalars()
            return own | {p for p in packs if p}


def _alias_map(conn: Connection, asset_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    if not asset_ids:
        return {}
    rows = conn.execute(
        select(aliases.c.asset_id, aliases.c.alias, asset_versions.c.version)
        .join(asset_versions, asset_versions.c.id == aliases.c.version_id)
        .where(aliases.c.asset_id.in_(asset_ids))
    ).all()
    out: dict[int, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r.asset_id, {})[r.alias] = r.version
    return out


def _load(conn: Connection, ids: Sequence[int]) -> builtins.list[AssetVersion]:
    """Whole version records for ``ids``, in the order given."""
    if not ids:
        return []
    rows = conn.execute(
        select(asset_versions, assets.c.kind, assets.c.name)
        .join(assets, assets.c.id == asset_versions.c.asset_id)
        .where(asset_versions.c.id.in_(ids))
    ).all()
    held: dict[int, builtins.list[str]] = {}
    for r in conn.execute(
        select(aliases.c.version_id, aliases.c.alias).where(aliases.c.version_id.in_(ids))
    ):
        held.setdefault(r.version_id, []).append(r.alias)
    by_id = {
        r.id: AssetVersion(
            id=r.id,
            kind=r.kind,
            name=r.name,
            version=r.version,
            digest=r.digest,
            metadata=json.loads(r.meta),
            created_at=r.created_at,
            created_by=r.created_by,
            run_id=r.run_id,
            aliases=tuple(sorted(held.get(r.id, []))),
        )
        for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]
