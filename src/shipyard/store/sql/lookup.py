"""Finding a run by its full id or a unique prefix."""

from __future__ import annotations

from sqlalchemy import Connection, select

from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.store.tables import runs


def resolve_run_id(conn: Connection, run_id: str) -> str:
    """The full id of the one run whose id is or starts with ``run_id``."""
    if (
        not isinstance(run_id, str)
        or not run_id
        or not all(c in "0123456789abcdef" for c in run_id)
    ):
        raise NotFound(f"no run {run_id!r} (run ids are hexadecimal)")
    if len(run_id) >= 32:
        if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
            raise NotFound(f"no run {run_id!r}")
        return run_id
    if len(run_id) < 4:
        raise InvalidInput(f"run id prefix {run_id!r} is too short; give at least 4 characters")
    found = list(
        conn.execute(select(runs.c.id).where(runs.c.id.like(f"{run_id}%")).limit(3)).scalars()
    )
    if not found:
        raise NotFound(f"no run {run_id!r}")
    if len(found) > 1:
        raise Conflict(f"run id prefix {run_id!r} matches several runs; give more characters")
    return str(found[0])


def require_run(conn: Connection, run_id: str) -> None:
    if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
        raise NotFound(f"no run {run_id!r}")
