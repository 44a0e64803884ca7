"""Aliases: movable names on versions, every move recorded, some protected, some gated.

A gate is the policy (YAML text, read by ``shipyard.evals``) an alias moves
through. An alias with a gate is protected even before it exists, so its first
version needs a passing check as well; attaching, changing and removing a gate
are recorded in the alias history like protecting is.
"""

from __future__ import annotations

import builtins
import hashlib

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shipyard.core.clock import now_ms
from shipyard.core.errors import Forbidden, InvalidInput, NotFound
from shipyard.core.refs import AssetRef, check_alias
from shipyard.store.asset_records import Alias, AliasGate, AliasMove
from shipyard.store.database import Database
from shipyard.store.sql.asset_lookup import require_asset, resolve_version_id
from shipyard.store.tables import alias_gates, alias_moves, aliases, asset_versions

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

        A protected alias, or one with a gate (even one that does not exist
        yet), moves only when ``authorized`` (a passing check, whose
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
            gated = _gate_row(conn, asset_id, alias) is not None
            if gated and not authorized:
                raise Forbidden(
                    f"alias {alias!r} of {ref.base} has a gate: it moves only through a passing "
                    f"gate check, `shipyard assets promote {ref} --to {alias}`"
                )
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

    def set_gate(
        self, ref: AssetRef, alias: str, policy: str | None, by: str | None = None
    ) -> AliasGate | None:
        """Attach (or replace) the gate policy of ``alias``; ``None`` removes it.

        The store keeps the text as given: checking it is the caller's job
        (``shipyard.evals.promotion.attach_gate``). Setting the same text again
        changes nothing.
        """
        check_alias(alias)
        if policy is not None and (not isinstance(policy, str) or not policy.strip()):
            raise InvalidInput("a gate policy is the YAML text of a policy; pass None to remove")

        def work(conn: Connection) -> AliasGate | None:
            asset_id = require_asset(conn, ref.kind, ref.name)
            existing = _gate_row(conn, asset_id, alias, for_update=True)
            where = (alias_gates.c.asset_id == asset_id, alias_gates.c.alias == alias)
            now = now_ms()
            if policy is None:
                if existing is None:
                    raise NotFound(f"alias {alias!r} of {ref.base} has no gate")
                conn.execute(delete(alias_gates).where(*where))
                note, gate = "gate removed", None
            elif existing is not None and existing.policy == policy:
                return AliasGate(alias, policy, existing.updated_at, existing.updated_by)
            else:
                values = {"policy": policy, "updated_at": now, "updated_by": by}
                if existing is None:
                    conn.execute(
                        insert(alias_gates).values(asset_id=asset_id, alias=alias, **values)
                    )
                else:
                    conn.execute(update(alias_gates).where(*where).values(**values))
                note = "gate set" if existing is None else "gate changed"
                note += f" (policy sha256:{hashlib.sha256(policy.encode()).hexdigest()[:12]})"
                gate = AliasGate(alias, policy, now, by)
            version = _current_version(conn, asset_id, alias)
            _record(conn, asset_id, AliasMove(alias, version, version, now, by, note))
            return gate

        for attempt in range(_RETRIES):
            try:
                return self.db.write(work)
            except IntegrityError:  # two first gates of one alias raced; the loser retries
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def gate(self, ref: AssetRef, alias: str) -> str | None:
        """The gate policy text of ``alias``, or ``None`` when it has none."""
        with self.db.read() as conn:
            asset_id = require_asset(conn, ref.kind, ref.name)
            row = _gate_row(conn, asset_id, alias)
        return None if row is None else str(row.policy)

    def gates(self, ref: AssetRef) -> builtins.list[AliasGate]:
        """Every gate on an alias of the asset, by alias."""
        with self.db.read() as conn:
            asset_id = require_asset(conn, ref.kind, ref.name)
            rows = conn.execute(
                select(alias_gates)
                .where(alias_gates.c.asset_id == asset_id)
                .order_by(alias_gates.c.alias)
            ).all()
        return [AliasGate(r.alias, r.policy, r.updated_at, r.updated_by) for r in rows]

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


def _gate_row(conn: Connection, asset_id: int, alias: str, *, for_update: bool = False):  # type: ignore[no-untyped-def]
    stmt = select(alias_gates.c.policy, alias_gates.c.updated_at, alias_gates.c.updated_by).where(
        alias_gates.c.asset_id == asset_id, alias_gates.c.alias == alias
    )
    return conn.execute(stmt.with_for_update() if for_update else stmt).first()


def _current_version(conn: Connection, asset_id: int, alias: str) -> int | None:
    version = conn.execute(
        select(asset_versions.c.version)
        .join(aliases, aliases.c.version_id == asset_versions.c.id)
        .where(aliases.c.asset_id == asset_id, aliases.c.alias == alias)
    ).scalar()
    return None if version is None else int(version)


def _number(conn: Connection, version_id: int) -> int:
    return int(
        conn.execute(
            select(asset_versions.c.version).where(asset_versions.c.id == version_id)
        ).scalar_one()
    )


def _record(conn: Connection, asset_id: int, move: AliasMove) -> None:
    conn.execute(insert(alias_moves).values(asset_id=asset_id, **move.to_dict()))
