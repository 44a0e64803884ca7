"""Lineage edges between runs and asset versions."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import aliased

from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef, parse_ref
from shipyard.store.asset_records import RELATIONS, LineageEdge, Relation
from shipyard.store.database import Database
from shipyard.store.sql.asset_lookup import add_edge, resolve_version_id
from shipyard.store.sql.lookup import require_run
from shipyard.store.tables import asset_versions, assets, lineage


class SqlLineage:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        relation: Relation,
        version: str | AssetRef,
        *,
        run_id: str | None = None,
        source: str | AssetRef | None = None,
    ) -> None:
        """Add an edge (idempotent): a run consumed/produced a version, or a version derived from another."""
        if relation not in RELATIONS:
            raise InvalidInput(f"unknown lineage relation {relation!r}; use {', '.join(RELATIONS)}")
        if (relation == "derived_from") != (source is not None) or (
            relation != "derived_from" and run_id is None
        ):
            raise InvalidInput(
                "consumed/produced edges need run_id; derived_from edges need a source version"
            )

        def work(conn: Connection) -> None:
            version_id = resolve_version_id(conn, _parsed(version))
            source_id = None if source is None else resolve_version_id(conn, _parsed(source))
            if run_id is not None:
                require_run(conn, run_id)
            add_edge(conn, relation, version_id, run_id=run_id, source_version_id=source_id)

        self.db.write(work)

    def edges(
        self, *, runs: Sequence[str] = (), versions: Sequence[str | AssetRef] = ()
    ) -> builtins.list[LineageEdge]:
        """Every edge that touches one of ``runs`` or ``versions``."""
        with self.db.read() as conn:
            ids = [resolve_version_id(conn, _parsed(v)) for v in versions]
            conds = []
            if runs:
                conds.append(lineage.c.run_id.in_(runs))
            if ids:
                conds.append(lineage.c.version_id.in_(ids))
                conds.append(lineage.c.source_version_id.in_(ids))
            if not conds:
                return []
            dst_v, dst_a = aliased(asset_versions), aliased(assets)
            src_v, src_a = aliased(asset_versions), aliased(assets)
            rows = conn.execute(
                select(
                    lineage.c.relation,
                    lineage.c.run_id,
                    dst_a.c.kind,
                    dst_a.c.name,
                    dst_v.c.version,
                    src_a.c.kind.label("src_kind"),
                    src_a.c.name.label("src_name"),
                    src_v.c.version.label("src_version"),
                )
                .join(dst_v, dst_v.c.id == lineage.c.version_id)
                .join(dst_a, dst_a.c.id == dst_v.c.asset_id)
                .join(src_v, src_v.c.id == lineage.c.source_version_id, isouter=True)
                .join(src_a, src_a.c.id == src_v.c.asset_id, isouter=True)
                .where(or_(*conds))
                .order_by(lineage.c.id)
            ).all()
        return [
            LineageEdge(
                relation=r.relation,
                version=f"{r.kind}:{r.name}@{r.version}",
                run_id=r.run_id,
                source=None if r.src_kind is None else f"{r.src_kind}:{r.src_name}@{r.src_version}",
            )
            for r in rows
        ]


def _parsed(ref: str | AssetRef) -> AssetRef:
    return parse_ref(ref) if isinstance(ref, str) else ref
