"""The prediction log: rows written in batches by model servers, read back by monitoring."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from shipyard.core.errors import InvalidInput
from shipyard.store.database import Database
from shipyard.store.serving_records import PredictionQuery, PredictionRecord
from shipyard.store.tables import predictions

MAX_LIMIT = 100_000


class SqlPredictions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert_many(self, records: Sequence[PredictionRecord]) -> None:
        """Store ``records`` in one transaction (all or none)."""
        rows = [_row(r) for r in records]
        if not rows:
            return

        def work(conn: Connection) -> None:
            conn.execute(insert(predictions), rows)

        self.db.write(work)

    def query(self, query: PredictionQuery) -> list[PredictionRecord]:
        """The predictions ``query`` selects, oldest first unless it asks for newest first."""
        if not 1 <= query.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {query.limit}")
        t = predictions
        stmt = select(t)
        for column, value in (
            (t.c.model, query.model),
            (t.c.version, query.version),
            (t.c.alias, query.alias),
            (t.c.deployment, query.deployment),
            (t.c.request_id, query.request_id),
            (t.c.shadow, query.shadow),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.since is not None:
            stmt = stmt.where(t.c.created_at >= query.since)
        if query.until is not None:
            stmt = stmt.where(t.c.created_at < query.until)
        if query.newest_first:
            stmt = stmt.order_by(t.c.created_at.desc(), t.c.id.desc())
        else:
            stmt = stmt.order_by(t.c.created_at, t.c.id)
        with self.db.read() as conn:
            found = conn.execute(stmt.limit(query.limit)).all()
        return [_record(r) for r in found]


def _row(r: PredictionRecord) -> dict[str, Any]:
    return {
        "request_id": r.request_id,
        "deployment": r.deployment,
        "model": r.model,
        "version": r.version,
        "alias": r.alias,
        "shadow": r.shadow,
        "inputs": json.dumps(r.inputs, separators=(",", ":"), default=str),
        "outputs": json.dumps(r.outputs, separators=(",", ":"), default=str),
        "row_count": len(r.outputs),
        "latency_ms": float(r.latency_ms),
        "created_at": r.created_at,
    }


def _record(row: Any) -> PredictionRecord:
    return PredictionRecord(
        id=row.id,
        request_id=row.request_id,
        deployment=row.deployment,
        model=row.model,
        version=row.version,
        alias=row.alias,
        shadow=bool(row.shadow),
        inputs=json.loads(row.inputs),
        outputs=json.loads(row.outputs),
        latency_ms=row.latency_ms,
        created_at=row.created_at,
    )
