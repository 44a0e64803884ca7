"""The deployments registry: which model servers run, where, serving which versions.

A server registers itself when it starts, heartbeats every few seconds (with
the versions it serves now, so alias moves show up), and marks itself stopped
when it shuts down cleanly. A server that stopped heartbeating without saying
goodbye (killed, machine gone) is ``lost``.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, Literal

from shipyard.core.clock import now_ms
from shipyard.core.errors import NotFound
from shipyard.store.serving_records import DeploymentRecord
from shipyard.workspace import Workspace, current_workspace

DeploymentStatus = Literal["running", "stopped", "lost"]
_GRACE_MS = 2_000


@dataclass(frozen=True)
class Deployment(DeploymentRecord):
    """A model server as the deployments page shows it: its registry record plus its status now.

    The fields are those of ``DeploymentRecord`` (``name``, ``url``, ``source``,
    ``versions`` by route label, ``split``, ``shadow``, times in epoch ms, …) and:

    Attributes:
        status: ``running`` (heartbeat fresh), ``stopped`` (shut down cleanly) or ``lost``
            (no heartbeat for three intervals).
    """

    status: DeploymentStatus = "running"

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        del body["state"]  # what the server said; ``status`` is what it is now
        return {**body, "status": self.status}


def deployment_status(record: DeploymentRecord, now: int | None = None) -> DeploymentStatus:
    """``stopped`` if it said so, ``lost`` if its heartbeat is three intervals old, else running."""
    if record.state == "stopped":
        return "stopped"
    age = (now_ms() if now is None else now) - record.heartbeat_at
    return "lost" if age > 3 * record.heartbeat_interval_ms + _GRACE_MS else "running"


def list_deployments(
    workspace: Workspace | None = None,
    *,
    name: str | None = None,
    include_stopped: bool = True,
) -> list[Deployment]:
    """Registered model servers, most recently started first, with their status now."""
    ws = workspace or current_workspace()
    now = now_ms()
    found = []
    for record in ws.store.deployments.list(name):
        status = deployment_status(record, now)
        if status == "stopped" and not include_stopped:
            continue
        fields = {f.name: getattr(record, f.name) for f in dataclass_fields(record)}
        found.append(Deployment(**fields, status=status))
    return found


class DeploymentBeacon:
    """What a server does to appear in the registry: register, heartbeat, stop (blocking calls)."""

    def __init__(
        self,
        ws: Workspace,
        *,
        name: str,
        url: str,
        source: str,
        model: str,
        split: Mapping[str, float],
        shadow: str | None,
        heartbeat_interval: float,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.ws = ws
        self.id = secrets.token_hex(16)
        self.name, self.url, self.source, self.model = name, url, source, model
        self.split, self.shadow = dict(split), shadow
        self.interval_ms = int(heartbeat_interval * 1000)
        self.details = dict(details or {})
        self.registered = False
        self.started_at = now_ms()

    def register(self, versions: Mapping[str, int | None]) -> None:
        now = now_ms()
        self.ws.store.deployments.register(
            DeploymentRecord(
                id=self.id,
                name=self.name,
                url=self.url,
                pid=os.getpid(),
                hostname=socket.gethostname(),
                source=self.source,
                model=self.model,
                versions=dict(versions),
                split=self.split,
                shadow=self.shadow,
                state="running",
                started_at=self.started_at,
                heartbeat_at=now,
                heartbeat_interval_ms=self.interval_ms,
                details=self.details,
            )
        )
        self.registered = True

    def heartbeat(self, versions: Mapping[str, int | None]) -> None:
        """Say the server is alive (registering first if the store was down at start)."""
        if not self.registered:
            self.register(versions)
            return
        try:
            self.ws.store.deployments.heartbeat(self.id, dict(versions), now_ms())
        except NotFound:  # the row was removed (a cleaned-up registry): register again
            self.register(versions)

    def stop(self) -> None:
        if self.registered:
            self.ws.store.deployments.stop(self.id, now_ms())


def server_url(host: str, port: int) -> str:
    """The URL others reach a server at; a wildcard host becomes this machine's name."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


__all__ = [
    "Deployment",
    "DeploymentBeacon",
    "DeploymentStatus",
    "deployment_status",
    "list_deployments",
    "server_url",
]
