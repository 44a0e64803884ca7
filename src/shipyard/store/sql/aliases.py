"""Aliases: movable names on versions, every move recorded, some protected."""

from __future__ import annotations

import builtins

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shipyard.core.clock import now_ms
from shipyard.core.errors import Forbidden, NotFound
from shipyard.core.refs import AssetRef, check_alias
from shipyard.store.asset_records import Alias, AliasMove
from shipyard.store.database import Database
from shipyard.store.sql.asset_lookup import require_asset, resolve_version_id
from shipyard.store.tables import alias_moves, aliases, asset_versions

_RETRIES = 5


class SqlAliases:
    def __init__(self, db: Database) -> None:
        self.db = db

    def move(
        self,
        ref: AssetRef,
        alias: str,
        *,
        moved_by: str | None = None,
        evidence: str | None = None,
        authorized: bool = False,
    ) -> AliasMove:
        """Point ``alias`` at the version ``ref`` names (creating the alias if needed).

        A protected alias moves only when ``authorized`` (a passing check, whose
        ``evidence`` is recorded with the move).
        """
        check_alias(alias)

        def work(conn: Connection) -> AliasMove:
            asset_id = require_asset(conn, ref.kind, ref.name)
            target = resolve_version_id(conn, ref)
            to_version = _number(conn, target)
            # FOR UPDATE serializes concurrent moves of one alias on PostgreSQL
            # (SQLite's BEGIN IMMEDIATE already does), so each recorded move starts
            # from where the one before it ended.
            current = conn.execute(
                select(aliases.c.version_id, aliases.c.protected)
                .where(aliases.c.asset_id == asset_id, aliases.c.alias == alias)
                .with_for_update()
            ).first()
            now = now_ms()
            if current is None:
                conn.execute(
                    insert(aliases).values(
                        asset_id=asset_id,
                        alias=alias,
                        version_id=target,
                        protected=False,
                        updated_at=now,
                    )
                )
                from_version = None
            else:
                if current.protected and not authorized:
                    raise Forbidden(
                        f"alias {alias!r} of {ref.base} is protected: it moves only with a "
                        "passing check (an evaluation gate); unprotect it first to move it by hand"
                    )
                from_version = _number(conn, current.version_id)
                conn.execute(
                    update(aliases)
                    .where(aliases.c.asset_id == asset_id, aliases.c.alias == alias)
                    .values(version_id=target, updated_at=now)
                )
            move = AliasMove(alias, from_version, to_version, now, moved_by, evidence)
            _record(conn, asset_id, move)
            return move

        for attempt in range(_RETRIES):
            try:
                return self.db.write(work)
            except IntegrityError:  # two first moves of a new alias raced; the loser retries
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def protect(
        self, ref: AssetRef, alias: str, protected: bool = True, moved_by: str | None = None
    ) -> Alias:
        def work(conn: Connection) -> Alias:
            asset_id = require_asset(conn, ref.kind, ref.name)
            row = _alias_row(conn, asset_id, ref, alias)
            conn.execute(
                update(aliases)
                .where(aliases.c.asset_id == asset_id, aliases.c.alias == alias)
                .values(protected=protected)
            )
            version = _number(conn, row.version_id)
            note = "protected" if protected else "unprotected"
            _record(conn, asset_id, AliasMove(alias, version, version, now_ms(), moved_by, note))
            return Alias(alias, version, protected, row.updated_at)

        return self.db.write(work)

    def list(self, ref: AssetRef) -> builtins.list[Alias]:
        with self.db.read() as conn:
            asset_id = require_asset(conn, ref.kind, ref.name)
            rows = conn.execute(
                select(aliases, asset_versions.c.version)
                .join(asset_versions, asset_versions.c.id == aliases.c.version_id)
                .where(aliases.c.asset_id == asset_id)
                .order_by(aliases.c.alias)
            ).all()
        return [Alias(r.alias, r.version, bool(r.protected), r.updated_at) for r in rows]

    def history(self, ref: AssetRef, alias: str | None = None) -> builtins.list[AliasMove]:
        with self.db.read() as conn:
            asset_id = require_asset(conn, ref.kind, ref.name)
            stmt = select(alias_moves).where(alias_moves.c.asset_id == asset_id)
            if alias is not None:
                stmt = stmt.where(alias_moves.c.alias == alias)
            rows = conn.execute(stmt.order_by(alias_moves.c.id.desc())).all()
        return [
            AliasMove(r.alias, r.from_version, r.to_version, r.moved_at, r.moved_by, r.evidence)
            for r in rows
        ]

    def delete(self, ref: AssetRef, alias: str, moved_by: str | None = None) -> None:
        def work(conn: Connection) -> None:
            asset_id = require_asset(conn, ref.kind, ref.name)
            row = _alias_row(conn, asset_id, ref, alias)
            if row.protected:
                raise Forbidden(f"alias {alias!r} of {ref.base} is protected; unprotect it first")
            conn.execute(
                delete(aliases).where(aliases.c.asset_id == asset_id, aliases.c.alias == alias)
            )
            move = AliasMove(alias, _number(conn, row.version_id), None, now_ms(), moved_by)
            _record(conn, asset_id, move)

        self.db.write(work)


def _alias_row(conn: Connection, asset_id: int, ref: AssetRef, alias: str):  # type: ignore[no-untyped-def]
    row = conn.execute(
        select(aliases.c.version_id, aliases.c.protected, aliases.c.updated_at).where(
            aliases.c.asset_id == asset_id, aliases.c.alias == alias
        )
    ).first()
    if row is None:
        raise NotFound(f"{ref.base} has no alias {alias!r}")
    return row


def _number(conn: Connection, version_id: int) -> int:
    return int(
        conn.execute(
            select(asset_versions.c.version).where(asset_versions.c.id == version_id)
        ).scalar_one()
    )


def _record(conn: Connection, asset_id: int, move: AliasMove) -> None:
    conn.execute(insert(alias_moves).values(asset_id=asset_id, **move.to_dict()))
