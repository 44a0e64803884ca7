"""Asset references: ``KIND:NAME[@VERSION|@ALIAS|@latest]``, the one way to name an asset.

``dataset:credit@3`` is version 3, ``model:churn@production`` whatever the
``production`` alias points at, and ``prompt:support`` or
``prompt:support@latest`` the newest version. Every API, CLI command and REST
endpoint that takes an asset takes this form, parsed here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from shipyard.core.errors import InvalidInput

KINDS: tuple[str, ...] = ("dataset", "model", "prompt", "index")
LATEST = "latest"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
FORM = "KIND:NAME[@VERSION|@ALIAS|@latest]"


@dataclass(frozen=True)
class AssetRef:
    """A parsed reference; ``version`` and ``alias`` both ``None`` means the latest version."""

    kind: str
    name: str
    version: int | None = None
    alias: str | None = None

    @property
    def selector(self) -> str:
        if self.version is not None:
            return str(self.version)
        return self.alias or LATEST

    @property
    def base(self) -> str:
        """``KIND:NAME`` without a selector."""
        return f"{self.kind}:{self.name}"

    def at(self, version: int) -> AssetRef:
        return AssetRef(self.kind, self.name, version=version)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}@{self.selector}"


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise InvalidInput(f"unknown asset kind {kind!r}; {hint}kinds are {', '.join(KINDS)}")
    return kind


def check_asset_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"asset name {name!r} is not valid: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_alias(alias: str) -> str:
    if alias == LATEST:
        raise InvalidInput("'latest' always means the newest version; it cannot be moved")
    if not _ALIAS.match(alias):
        raise InvalidInput(
            f"alias {alias!r} is not valid: use lowercase letters, digits, '_' or '-', "
            "starting with a letter (e.g. production, champion, staging)"
        )
    return alias


def parse_ref(text: str, kind: str | None = None) -> AssetRef:
    """Parse ``KIND:NAME[@VERSION|@ALIAS|@latest]``.

    ``kind`` fills in (or must agree with) the kind, so ``sy.datasets.load("credit@3")``
    works as well as ``load("dataset:credit@3")``. Each error names the part that is wrong.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"empty asset reference; expected {FORM}")
    raw = text.strip()
    head, sep, selector = raw.partition("@")
    if sep and not selector:
        raise InvalidInput(f"asset reference {raw!r} ends with '@'; expected {FORM}")
    if ":" in head:
        given_kind, _, name = head.partition(":")
        check_kind(given_kind)
        if kind is not None and given_kind != kind:
            raise InvalidInput(f"{raw!r} is a {given_kind} reference; a {kind} is needed here")
    elif kind is not None:
        given_kind, name = kind, head
    else:
        raise InvalidInput(
            f"asset reference {raw!r} has no kind; expected {FORM}, e.g. dataset:{head}@1"
        )
    if not name:
        raise InvalidInput(f"asset reference {raw!r} has no name; expected {FORM}")
    check_asset_name(name)
    if not selector or selector == LATEST:
        return AssetRef(given_kind, name)
    if selector.isdigit():
        version = int(selector)
        if version < 1:
            raise InvalidInput(f"asset versions start at 1; {raw!r} asks for version {version}")
        return AssetRef(given_kind, name, version=version)
    if not _ALIAS.match(selector):
        raise InvalidInput(
            f"{selector!r} in {raw!r} is neither a version number nor a valid alias "
            "(lowercase letters, digits, '_' or '-')"
        )
    return AssetRef(given_kind, name, alias=selector)
