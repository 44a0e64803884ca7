"""Finding assets and versions by reference, and adding lineage edges, inside a transaction.

Shared by the asset, alias and lineage repositories, as ``lookup`` is for runs.
"""

from __future__ import annotations

import builtins
import difflib

from sqlalchemy import Connection, func, insert, select

from shipyard.core.clock import now_ms
from shipyard.core.errors import NotFound
from shipyard.core.refs import AssetRef, check_kind
from shipyard.store.tables import aliases, asset_versions, assets, lineage


def find_asset_id(conn: Connection, kind: str, name: str, create: bool = False) -> int | None:
    found = conn.execute(
        select(assets.c.id).where(assets.c.kind == kind, assets.c.name == name)
    ).scalar()
    if found is None and create:
        found = conn.execute(
            insert(assets).values(kind=kind, name=name, created_at=now_ms()).returning(assets.c.id)
        ).scalar_one()
    return None if found is None else int(found)


def require_asset(conn: Connection, kind: str, name: str) -> int:
    check_kind(kind)
    found = find_asset_id(conn, kind, name)
    if found is None:
        names = builtins.list(
            conn.execute(select(assets.c.name).where(assets.c.kind == kind)).scalars()
        )
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else ""
        raise NotFound(f"no {kind} named {name!r}{hint}")
    return found


def resolve_version_id(conn: Connection, ref: AssetRef) -> int:
    owner = require_asset(conn, ref.kind, ref.name)
    if ref.alias is not None:
        found = conn.execute(
            select(aliases.c.version_id).where(
                aliases.c.asset_id == owner, aliases.c.alias == ref.alias
            )
        ).scalar()
        if found is None:
            known = sorted(
                conn.execute(select(aliases.c.alias).where(aliases.c.asset_id == owner)).scalars()
            )
            shown = ", ".join(known) if known else "none yet"
            raise NotFound(f"{ref.base} has no alias {ref.alias!r} (aliases: {shown})")
        return int(found)
    stmt = select(asset_versions.c.id).where(asset_versions.c.asset_id == owner)
    if ref.version is None:
        stmt = stmt.order_by(asset_versions.c.version.desc()).limit(1)
    else:
        stmt = stmt.where(asset_versions.c.version == ref.version)
    found = conn.execute(stmt).scalar()
    if found is None:
        latest = conn.execute(
            select(func.max(asset_versions.c.version)).where(asset_versions.c.asset_id == owner)
        ).scalar()
        have = f"latest is {latest}" if latest else "it has no versions"
        raise NotFound(f"{ref.base} has no version {ref.selector} ({have})")
    return int(found)


def add_edge(
    conn: Connection,
    relation: str,
    version_id: int,
    *,
    run_id: str | None = None,
    source_version_id: int | None = None,
) -> None:
    exists = conn.execute(
        select(lineage.c.id).where(
            lineage.c.relation == relation,
            lineage.c.version_id == version_id,
            lineage.c.run_id.is_(None) if run_id is None else lineage.c.run_id == run_id,
            lineage.c.source_version_id.is_(None)
            if source_version_id is None
            else lineage.c.source_version_id == source_version_id,
        )
    ).first()
    if exists is None:
        conn.execute(
            insert(lineage).values(
                relation=relation,
                version_id=version_id,
                run_id=run_id,
                source_version_id=source_version_id,
                created_at=now_ms(),
            )
        )
