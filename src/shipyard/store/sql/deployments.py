"""The deployments registry: model servers register, heartbeat and say when they stop."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from shipyard.core.errors import NotFound
from shipyard.store.database import Database
from shipyard.store.serving_records import DeploymentRecord
from shipyard.store.tables import deployments


class SqlDeployments:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, deployment: DeploymentRecord) -> None:
        """Record a server that started (or replace the record of the same id)."""
        row = _row(deployment)

        def work(conn: Connection) -> None:
            conn.execute(delete(deployments).where(deployments.c.id == deployment.id))
            conn.execute(insert(deployments).values(**row))

        self.db.write(work)

    def heartbeat(self, deployment_id: str, versions: Mapping[str, int | None], at: int) -> None:
        """Say the server is alive at ``at`` and serves ``versions`` now."""
        self._update(
            deployment_id,
            heartbeat_at=at,
            versions=json.dumps(dict(versions), sort_keys=True),
            state="running",
            stopped_at=None,
        )

    def stop(self, deployment_id: str, at: int) -> None:
        """Mark the server stopped (a clean shutdown)."""
        self._update(deployment_id, state="stopped", stopped_at=at, heartbeat_at=at)

    def list(self, name: str | None = None) -> builtins.list[DeploymentRecord]:
        """Every registered server (of deployment ``name``), most recently started first."""
        stmt = select(deployments).order_by(deployments.c.started_at.desc(), deployments.c.id)
        if name is not None:
            stmt = stmt.where(deployments.c.name == name)
        with self.db.read() as conn:
            return [_record(r) for r in conn.execute(stmt).all()]

    def _update(self, deployment_id: str, **values: Any) -> None:
        def work(conn: Connection) -> int:
            done = conn.execute(
                update(deployments).where(deployments.c.id == deployment_id).values(**values)
            )
            return int(done.rowcount)

        if self.db.write(work) == 0:
            raise NotFound(f"no deployment {deployment_id!r}; register it first")


def _row(d: DeploymentRecord) -> dict[str, Any]:
    body = d.to_dict()
    for key in ("versions", "split", "details"):
        body[key] = json.dumps(body[key], sort_keys=True)
    return body


def _record(row: Any) -> DeploymentRecord:
    body = dict(row._mapping)
    for key in ("versions", "split", "details"):
        body[key] = json.loads(body[key])
    return DeploymentRecord.from_dict(body)
