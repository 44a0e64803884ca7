"""Metric points, params and tags of a run, written in batches."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, and_, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from shipyard.core.errors import Conflict, InvalidInput
from shipyard.store.database import Database
from shipyard.store.records import MetricPoint, ParamValue, param_from_columns, param_to_columns
from shipyard.store.sql.lookup import require_run
from shipyard.store.tables import latest_metrics, metrics, params, tags
from shipyard.store.validation import check_key, check_metric_value, check_step, check_text

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
        latest: dict[str, dict[str, object]] = {}
        for row, p in zip(rows, points, strict=True):
            best = latest.get(p.key)
            if best is None or (p.step, p.timestamp) >= (best["step"], best["timestamp"]):  # type: ignore[operator]
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
        timestamp=int(p.timestamp),
    )


def write_params(conn: Connection, run_id: str, values: Mapping[str, ParamValue]) -> None:
    """Insert params; params are immutable, so a different value for a logged key is refused."""
    if not values:
        return
    rows = []
    for key, value in values.items():
        check_key("param", key)
        if value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidInput(
                f"param {key!r} must be a string, number, boolean or None, "
                f"got {type(value).__name__}; log structured values as an artifact"
            )
        kind, text, num = param_to_columns(value)
        if text is not None:
            check_text("param", key, text)
        rows.append({"run_id": run_id, "key": key, "kind": kind, "value": text, "num": num})
    existing = {
        r.key: param_from_columns(r.kind, r.value)
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
            if existing[key] != values[key] or type(existing[key]) is not type(values[key]):
                raise Conflict(
                    f"param {key!r} is already {existing[key]!r} in run {run_id[:8]}; "
                    "params are immutable: start a new run or log a tag instead"
                )
            continue
        fresh.append(row)
    if fresh:
        conn.execute(insert(params), fresh)


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
