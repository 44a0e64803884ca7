"""Experiments: named groups of runs."""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import Connection, Select, delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from shipyard.core.clock import now_ms
from shipyard.core.errors import NotFound
from shipyard.store.database import Database
from shipyard.store.records import Experiment
from shipyard.store.tables import experiments, runs
from shipyard.store.validation import check_name


class SqlExperiments:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get_or_create(self, name: str) -> Experiment:
        check_name("experiment", name)
        with self.db.read() as conn:
            found = _by_name(conn, name)
        if found is not None:
            return found

        def create(conn: Connection) -> Experiment:
            existing = _by_name(conn, name)
            if existing is not None:
                return existing
            conn.execute(insert(experiments).values(name=name, created_at=now_ms()))
            created = _by_name(conn, name)
            assert created is not None
            return created

        try:
            return self.db.write(create)
        except IntegrityError:  # another writer created it between our read and write
            with self.db.read() as conn:
                again = _by_name(conn, name)
            if again is None:
                raise
            return again

    def get(self, ref: str | int) -> Experiment:
        with self.db.read() as conn:
            if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
                row = conn.execute(_select().where(experiments.c.id == int(ref))).first()
                if row is not None:
                    return _record(row)
            found = _by_name(conn, str(ref))
            if found is not None:
                return found
            names = list(conn.execute(select(experiments.c.name)).scalars())
        close = difflib.get_close_matches(str(ref), names, n=3)
        hint = f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""
        raise NotFound(f"no experiment {ref!r}{hint}")

    def list(self) -> list[Experiment]:
        with self.db.read() as conn:
            rows = conn.execute(
                _select(count_runs=True).order_by(experiments.c.created_at.desc())
            ).all()
        return [_record(r) for r in rows]

    def delete(self, experiment_id: int) -> None:
        def work(conn: Connection) -> int:
            return conn.execute(
                delete(experiments).where(experiments.c.id == experiment_id)
            ).rowcount

        if self.db.write(work) == 0:
            raise NotFound(f"no experiment with id {experiment_id}")


def _select(count_runs: bool = False) -> Select[Any]:
    """Experiment rows; counting runs costs a scan of the experiment's index, so only ``list`` does."""
    if not count_runs:
        return select(
            experiments.c.id,
            experiments.c.name,
            experiments.c.created_at,
            experiments.c.description,
            literal(None).label("run_count"),
        )
    count = (
        select(func.count())
        .select_from(runs)
        .where(runs.c.experiment_id == experiments.c.id)
        .scalar_subquery()
    )
    return select(
        experiments.c.id,
        experiments.c.name,
        experiments.c.created_at,
        experiments.c.description,
        count.label("run_count"),
    )


def _by_name(conn: Connection, name: str) -> Experiment | None:
    row = conn.execute(_select().where(experiments.c.name == name)).first()
    return None if row is None else _record(row)


def _record(row: object) -> Experiment:
    m = row._mapping  # type: ignore[attr-defined]
    return Experiment(
        id=m["id"],
        name=m["name"],
        created_at=m["created_at"],
        description=m["description"],
        run_count=m["run_count"],
    )
