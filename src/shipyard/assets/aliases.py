"""Moving aliases, with the hook protected aliases need: a passing check.

Evaluation gates (a later issue) produce a ``Check``; until then a protected
alias can only be moved by unprotecting it first, and every move is recorded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from shipyard.core.refs import parse_ref
from shipyard.store.asset_records import Alias, AliasMove
from shipyard.workspace import Workspace, current_workspace


class Check(Protocol):
    """What a gate hands over: whether it passed, and the evidence to record."""

    @property
    def passed(self) -> bool: ...
    @property
    def evidence(self) -> str: ...


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    evidence: str


def move_alias(
    ref: str, alias: str, *, check: Check | None = None, workspace: Workspace | None = None
) -> AliasMove:
    """Point ``alias`` at the version ``ref`` names; protected aliases need a passing ``check``."""
    ws = workspace or current_workspace()
    return ws.store.aliases.move(
        parse_ref(ref),
        alias,
        moved_by=_user(),
        evidence=None if check is None else check.evidence,
        authorized=check is not None and check.passed,
    )


def protect_alias(
    ref: str, alias: str, protected: bool = True, *, workspace: Workspace | None = None
) -> Alias:
    ws = workspace or current_workspace()
    return ws.store.aliases.protect(parse_ref(ref), alias, protected, moved_by=_user())


def delete_alias(ref: str, alias: str, *, workspace: Workspace | None = None) -> None:
    ws = workspace or current_workspace()
    ws.store.aliases.delete(parse_ref(ref), alias, moved_by=_user())


def _user() -> str | None:
    return os.environ.get("USER") or os.environ.get("USERNAME")
