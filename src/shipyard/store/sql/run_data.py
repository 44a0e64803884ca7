"""Metric points, params and tags of a run, written in batches."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

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
        rows = _checked_rows(run_id, metrics)
        if not rows and not params and not tags:
            return

        def work(conn: Connection) -> None:
            require_run(conn, run_id)
            write_params(conn, run_id, params or {})
            write_tags(conn, run_id, tags or {})
            if rows:
                self._write_points(conn, rows)

        self.db.write(work)

    def _write_points(self, conn: Connection, rows: list[_Row]) -> None:
        # Plain DBAPI executemany: at 100,000 points per call SQLAlchemy's per-row
        # parameter processing would cost more than the inserts themselves.
        mark = "%s" if self.db.dialect == "postgresql" else "?"
        sql = (
            "INSERT INTO metrics (run_id, key, step, timestamp, value) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
        )
        for i in range(0, len(rows), _CHUNK):
            conn.exec_driver_sql(sql, rows[i : i + _CHUNK])
        latest: dict[str, _Row] = {}
        for row in rows:
            best = latest.get(row[1])
            if best is None or (row[2], row[3]) >= (best[2], best[3]):
                latest[row[1]] = row
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
            [dict(zip(_COLUMNS, row, strict=True)) for row in latest.values()],
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


_Row = tuple[str, str, int, int, float | None]
_COLUMNS = ("run_id", "key", "step", "timestamp", "value")
_INT64 = 2**63


def _checked_rows(run_id: str, points: Sequence[MetricPoint]) -> list[_Row]:
    """Validate points into insert rows; NaN becomes NULL (SQLite cannot store NaN).

    Keys are checked once per batch and plain floats and ints take a fast
    path: this runs for every point a client logs.
    """
    rows: list[_Row] = []
    keys: set[str] = set()
    for p in points:
        key, value, step, ts = p.key, p.value, p.step, p.timestamp
        if key not in keys:
            check_key("metric", key)
            keys.add(key)
        if type(value) is not float:
            value = check_metric_value(key, value)
        if type(step) is not int or not -_INT64 <= step < _INT64:
            step = check_step(key, step)
        if type(ts) is not int or not -_INT64 <= ts < _INT64:
            ts = check_timestamp(key, ts)
        rows.append((run_id, key, step, ts, None if math.isnan(value) else value))
    return rows


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
