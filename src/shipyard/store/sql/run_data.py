"""Metric points, params and tags of a run, written in batches."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from shipyard.core.errors import Conflict, InvalidInput
from shipyard.store.database import Database
from shipyard.store.records import MetricPoint, ParamValue, param_from_columns, param_to_columns
from shipyard.store.sql.lookup import require_run
from shipyard.store.tables import latest_metrics, metrics, params, tags
from shipyard.store.validation import (
    check_key,
    check_metric_value,
    check_step,
    check_text,
    check_timestamp,
)

_CHUNK = 5_000


class SqlRunData:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricPoint] = (),
        params: Mapping[str, ParamValue] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        points = [_checked(p) for p in metrics]
        if not points and not params and not tags:
            return

        def work(conn: Connection) -> None:
            require_run(conn, run_id)
            write_params(conn, run_id, params or {})
            write_tags(conn, run_id, tags or {})
            if points:
                self._write_points(conn, run_id, points)

        self.db.write(work)

    def _write_points(self, conn: Connection, run_id: str, points: list[MetricPoint]) -> None:
        rows = [
            {
                "run_id": run_id,
                "key": p.key,
                "step": p.step,
                "timestamp": p.timestamp,
                "value": None if math.isnan(p.value) else p.value,
            }
            for p in points
        ]
        for i in range(0, len(rows), _CHUNK):
            conn.execute(insert(metrics), rows[i : i + _CHUNK])
        latest: dict[str, dict[str, Any]] = {}
        for row, p in zip(rows, points, strict=True):
            best = latest.get(p.key)
            if best is None or (p.step, p.timestamp) >= (best["step"], best["timestamp"]):
                latest[p.key] = row
        stmt = self._insert(latest_metrics)
        newer = or_(
            stmt.excluded.step > latest_metrics.c.step,
            and_(
                stmt.excluded.step == latest_metrics.c.step,
                stmt.excluded.timestamp >= latest_metrics.c.timestamp,
            ),
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_id", "key"],
                set_={
                    "step": stmt.excluded.step,
                    "timestamp": stmt.excluded.timestamp,
                    "value": stmt.excluded.value,
                },
                where=newer,
            ),
            list(latest.values()),
        )

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        with self.db.read() as conn:
            require_run(conn, run_id)
            rows = conn.execute(
                select(metrics.c.step, metrics.c.timestamp, metrics.c.value)
                .where(metrics.c.run_id == run_id, metrics.c.key == key)
                .order_by(metrics.c.step, metrics.c.timestamp)
            ).all()
        return [
            MetricPoint(
                key=key,
                value=math.nan if r.value is None else r.value,
                step=r.step,
                timestamp=r.timestamp,
            )
            for r in rows
        ]


def _checked(p: MetricPoint) -> MetricPoint:
    check_key("metric", p.key)
    return MetricPoint(
        key=p.key,
        value=check_metric_value(p.key, p.value),
        step=check_step(p.key, p.step),
        timestamp=check_timestamp(p.key, p.timestamp),
    )


def write_params(conn: Connection, run_id: str, values: Mapping[str, ParamValue]) -> None:
    """Insert params; params are immutable, so a different value for a logged key is refused."""
    if not values:
        return
    rows = []
    for key, raw in values.items():
        check_key("param", key)
        kind, text, num = param_to_columns(_normal_param(key, raw))
        if text is not None:
            check_text("param", key, text)
        rows.append({"run_id": run_id, "key": key, "kind": kind, "value": text, "num": num})
    existing = {
        r.key: (r.kind, r.value)
        for r in conn.execute(
            select(params.c.key, params.c.kind, params.c.value).where(
                params.c.run_id == run_id, params.c.key.in_(list(values))
            )
        )
    }
    fresh = []
    for row in rows:
        key = str(row["key"])
        if key in existing:
            # Compare the stored form: it is exact for every type, NaN included.
            if existing[key] != (row["kind"], row["value"]):
                kind, text = existing[key]
                raise Conflict(
                    f"param {key!r} is already {param_from_columns(kind, text)!r} in run "
                    f"{run_id[:8]}; params are immutable: start a new run or log a tag instead"
                )
            continue
        fresh.append(row)
    if fresh:
        conn.execute(insert(params), fresh)


def _normal_param(key: str, value: object) -> ParamValue:
    """Plain ``int``/``float``/``str`` for numbers and text of any type (numpy scalars too)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise InvalidInput(
        f"param {key!r} must be a string, number, boolean or None, "
        f"got {type(value).__name__}; log structured values as an artifact"
    )


def write_tags(conn: Connection, run_id: str, values: Mapping[str, str]) -> None:
    """Upsert tags: unlike params, tags may change during a run."""
    if not values:
        return
    rows = []
    for key, value in values.items():
        check_key("tag", key)
        text = value if isinstance(value, str) else str(value)
        check_text("tag", key, text)
        rows.append({"run_id": run_id, "key": key, "value": text})
    dialect = conn.dialect.name
    ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = ins(tags)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_id", "key"], set_={"value": stmt.excluded.value}
        ),
        rows,
    )
