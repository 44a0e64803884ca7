"""Runs: creation, lookup by id or unique prefix, finishing, deletion and search."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from shipyard.core.clock import now_ms
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.ids import new_run_id
from shipyard.store.database import Database
from shipyard.store.records import (
    RUN_STATUSES,
    ParamValue,
    Run,
    RunPage,
    RunQuery,
    RunStatus,
    param_from_columns,
)
from shipyard.store.search.compiler import compile_search
from shipyard.store.search.parser import parse_filter, parse_order
from shipyard.store.sql.lookup import require_run, resolve_run_id
from shipyard.store.sql.run_data import write_params, write_tags
from shipyard.store.tables import experiments, latest_metrics, params, runs, tags
from shipyard.store.validation import check_name

MAX_PAGE = 10_000


class SqlRuns:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        experiment_id: int,
        name: str,
        parent_id: str | None = None,
        env_digest: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, ParamValue] | None = None,
    ) -> Run:
        check_name("run", name)
        run_id = new_run_id()

        def work(conn: Connection) -> None:
            exists = conn.execute(
                select(experiments.c.id).where(experiments.c.id == experiment_id)
            ).first()
            if exists is None:
                raise NotFound(f"no experiment with id {experiment_id}")
            if parent_id is not None:
                require_run(conn, parent_id)
            conn.execute(
                insert(runs).values(
                    id=run_id,
                    experiment_id=experiment_id,
                    parent_id=parent_id,
                    name=name,
                    status="running",
                    start_time=now_ms(),
                    env_digest=env_digest,
                )
            )
            write_params(conn, run_id, params or {})
            write_tags(conn, run_id, tags or {})

        self.db.write(work)
        return self.get(run_id)

    def get(self, run_id: str) -> Run:
        with self.db.read() as conn:
            full = resolve_run_id(conn, run_id)
            return load_runs(conn, [full])[0]

    def finish(self, run_id: str, status: RunStatus) -> Run:
        if status not in RUN_STATUSES:
            raise InvalidInput(
                f"unknown run status {status!r}; use one of {', '.join(RUN_STATUSES)}"
            )

        def work(conn: Connection) -> None:
            require_run(conn, run_id)
            end = None if status == "running" else now_ms()
            conn.execute(
                update(runs).where(runs.c.id == run_id).values(status=status, end_time=end)
            )

        self.db.write(work)
        return self.get(run_id)

    def delete(self, run_id: str) -> None:
        def work(conn: Connection) -> None:
            full = resolve_run_id(conn, run_id)
            conn.execute(delete(runs).where(runs.c.id == full))

        self.db.write(work)

    def search(self, query: RunQuery) -> RunPage:
        if not 1 <= query.max_results <= MAX_PAGE:
            raise InvalidInput(f"max_results must be between 1 and {MAX_PAGE:,}")
        offset = _decode_token(query.page_token)
        compiled = compile_search(
            parse_filter(query.filter or ""), [parse_order(o) for o in query.order_by]
        )
        stmt = compiled.apply(select(runs.c.id))
        if query.experiment_ids is not None:
            stmt = stmt.where(runs.c.experiment_id.in_(query.experiment_ids))
        if query.parent_id is not None:
            stmt = stmt.where(runs.c.parent_id == query.parent_id)
        stmt = stmt.limit(query.max_results + 1).offset(offset)
        with self.db.read() as conn:
            ids = list(conn.execute(stmt).scalars())
            more = len(ids) > query.max_results
            ids = ids[: query.max_results]
            found = load_runs(conn, ids)
        token = _encode_token(offset + len(ids)) if more else None
        return RunPage(runs=found, next_page_token=token)


def load_runs(conn: Connection, ids: Sequence[str]) -> list[Run]:
    """Whole runs (params, tags, latest metrics) for ``ids``, in the order given."""
    if not ids:
        return []
    rows = conn.execute(
        select(runs, experiments.c.name.label("experiment"))
        .join(experiments, experiments.c.id == runs.c.experiment_id)
        .where(runs.c.id.in_(ids))
    ).all()
    by_id: dict[str, dict[str, Any]] = {}
    for r in rows:
        m = dict(r._mapping)
        m.update(params={}, tags={}, metrics={})
        by_id[m["id"]] = m
    for r in conn.execute(select(params).where(params.c.run_id.in_(ids))):
        by_id[r.run_id]["params"][r.key] = param_from_columns(r.kind, r.value)
    for r in conn.execute(select(tags).where(tags.c.run_id.in_(ids))):
        by_id[r.run_id]["tags"][r.key] = r.value
    for r in conn.execute(
        select(latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value).where(
            latest_metrics.c.run_id.in_(ids)
        )
    ):
        by_id[r.run_id]["metrics"][r.key] = float("nan") if r.value is None else r.value
    return [
        Run(
            id=m["id"],
            experiment_id=m["experiment_id"],
            experiment=m["experiment"],
            name=m["name"],
            status=m["status"],
            start_time=m["start_time"],
            end_time=m["end_time"],
            parent_id=m["parent_id"],
            env_digest=m["env_digest"],
            params=m["params"],
            tags=m["tags"],
            metrics=m["metrics"],
        )
        for m in (by_id[i] for i in ids if i in by_id)
    ]


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("page token is not one this server issued") from None
