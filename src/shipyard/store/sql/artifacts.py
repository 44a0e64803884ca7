"""Artifact entries: which blob holds which file of a run."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from shipyard.store.database import Database
from shipyard.store.records import ArtifactEntry
from shipyard.store.sql.lookup import require_run
from shipyard.store.tables import artifacts
from shipyard.store.validation import check_artifact_path


class SqlArtifacts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, run_id: str, entries: Sequence[ArtifactEntry]) -> None:
        rows = [
            {
                "run_id": run_id,
                "path": check_artifact_path(e.path),
                "digest": e.digest,
                "size": e.size,
            }
            for e in entries
        ]
        if not rows:
            return
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert

        def work(conn: Connection) -> None:
            require_run(conn, run_id)
            stmt = insert(artifacts)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["run_id", "path"],
                    set_={"digest": stmt.excluded.digest, "size": stmt.excluded.size},
                ),
                rows,
            )

        self.db.write(work)

    def list(self, run_id: str) -> list[ArtifactEntry]:
        with self.db.read() as conn:
            require_run(conn, run_id)
            rows = conn.execute(
                select(artifacts.c.path, artifacts.c.digest, artifacts.c.size)
                .where(artifacts.c.run_id == run_id)
                .order_by(artifacts.c.path)
            ).all()
        return [ArtifactEntry(path=r.path, digest=r.digest, size=r.size) for r in rows]

    def referenced_digests(self) -> set[str]:
        with self.db.read() as conn:
            return set(conn.execute(select(artifacts.c.digest).distinct()).scalars())
