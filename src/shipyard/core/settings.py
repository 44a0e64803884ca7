"""One settings object, read from ``SHIPYARD_*`` variables and ``shipyard.toml``.

Precedence: explicit arguments, then environment variables, then a
``shipyard.toml`` in the working directory, then defaults. Nothing is read at
import time.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import InvalidInput

_KEYS = ("home", "db", "blobs", "uri", "token")


@dataclass(frozen=True)
class Settings:
    """Where shipyard keeps its data, or which server it talks to.

    Attributes:
        home: folder of the embedded store (default ``./.shipyard``).
        db: SQLAlchemy URL of the metadata store.
        blobs: folder or ``s3://bucket/prefix`` of the blob store.
        uri: a shipyard server; when set, ``db`` and ``blobs`` are the server's.
        token: bearer token sent to ``uri``.
    """

    home: Path
    db: str
    blobs: str
    uri: str | None = None
    token: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.uri is not None

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        **overrides: str | None,
    ) -> Settings:
        """Resolve settings from overrides, environment and ``shipyard.toml``."""
        env = os.environ if env is None else env
        cwd = Path.cwd() if cwd is None else cwd
        values: dict[str, str] = dict(_read_toml(cwd / "shipyard.toml"))
        for key in _KEYS:
            env_value = env.get(f"SHIPYARD_{key.upper()}")
            if env_value:
                values[key] = env_value
        for key, value in overrides.items():
            if key not in _KEYS:
                raise TypeError(f"unknown setting {key!r}")
            if value:
                values[key] = value
        home = Path(values.get("home", ".shipyard")).expanduser()
        if not home.is_absolute():
            home = cwd / home
        db = values.get("db") or f"sqlite:///{home / 'shipyard.db'}"
        blobs = values.get("blobs") or str(home / "blobs")
        uri = values.get("uri") or None
        if uri is not None:
            if not uri.startswith(("http://", "https://")):
                raise InvalidInput(f"SHIPYARD_URI must start with http:// or https://, got {uri!r}")
            uri = uri.rstrip("/")
        return cls(home=home, db=db, blobs=blobs, uri=uri, token=values.get("token") or None)


def _read_toml(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None
    table = data.get("shipyard", data)
    if not isinstance(table, dict):
        raise InvalidInput(f"{path}: [shipyard] must be a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise InvalidInput(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}"
        )
    return {k: str(v) for k, v in table.items()}
