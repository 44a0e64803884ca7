"""A virtual key of the gateway, as stored: a hash of the secret, never the secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BudgetPeriod = Literal["hour", "day", "week", "month", "total"]
PERIODS: tuple[str, ...] = ("hour", "day", "week", "month", "total")


@dataclass(frozen=True)
class VirtualKey:
    """A key a client presents as ``Authorization: Bearer sk-sy-…``.

    Attributes:
        id: the key's id (shown in traces and usage; not a secret).
        name: a label for people.
        project: the project its usage and budget count against.
        prefix: the first characters of the secret, to recognise it in listings.
        budget_usd: spend allowed per ``budget_period``; None for no budget.
        tpm: tokens per minute; None for no limit.
        rpm: requests per minute; None for no limit.
        models: models (aliases or provider/model) it may call; empty for all.
        created_at, expires_at, revoked_at: milliseconds since the epoch.
    """

    id: str
    name: str
    project: str
    prefix: str
    budget_usd: float | None = None
    budget_period: BudgetPeriod | None = None
    tpm: int | None = None
    rpm: int | None = None
    models: tuple[str, ...] = ()
    created_at: int = 0
    expires_at: int | None = None
    revoked_at: int | None = None
    key_hash: str = field(default="", repr=False)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        """The public form: everything but the hash."""
        return {
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "prefix": self.prefix,
            "budget_usd": self.budget_usd,
            "budget_period": self.budget_period,
            "tpm": self.tpm,
            "rpm": self.rpm,
            "models": list(self.models),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        }
