"""Moving aliases, with the hook protected aliases need: a passing check.

A protected alias, or one with a gate attached (``set_alias_gate``; the policy
is read and run by ``shipyard.evals.promotion``), moves only with a ``Check``
that passed: an evaluation gate's result, whose evidence is recorded with the
move. Every move, protection and gate change is recorded in the alias history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from shipyard.core.refs import parse_ref
from shipyard.store.asset_records import Alias, AliasGate, AliasMove
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
    ref: str,
    alias: str,
    *,
    check: Check | None = None,
    moved_by: str | None = None,
    workspace: Workspace | None = None,
) -> AliasMove:
    """Point ``alias`` at the version ``ref`` names; protected or gated aliases need a passing ``check``."""
    ws = workspace or current_workspace()
    return ws.store.aliases.move(
        parse_ref(ref),
        alias,
        moved_by=moved_by or _user(),
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


def set_alias_gate(
    ref: str, alias: str, policy: str | None, *, workspace: Workspace | None = None
) -> AliasGate | None:
    """Store ``policy`` (YAML text, unchecked: see ``evals.promotion.attach_gate``) as the gate."""
    ws = workspace or current_workspace()
    return ws.store.aliases.set_gate(parse_ref(ref), alias, policy, by=_user())


def alias_gate(ref: str, alias: str, *, workspace: Workspace | None = None) -> str | None:
    """The gate policy text of ``alias`` of the asset ``ref`` names, or ``None``."""
    ws = workspace or current_workspace()
    return ws.store.aliases.gate(parse_ref(ref), alias)


def _user() -> str | None:
    return os.environ.get("USER") or os.environ.get("USERNAME")
