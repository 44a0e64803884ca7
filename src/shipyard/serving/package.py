"""A container build context that serves one model version: ``shipyard models package``.

The context holds the version's files (``model/``), a Dockerfile whose
command is ``shipyard serve /app/model``, the pinned requirements, a
``.dockerignore``, a README and a ``shipyard-package.json`` manifest. It is
built in a temporary sibling folder and renamed into place, so a failed
packaging leaves nothing half-written, and an existing context is replaced
only with ``force``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shipyard.assets.download import download_version
from shipyard.assets.models.model_folder import read_model_metadata
from shipyard.assets.registry import resolve
from shipyard.core.errors import Conflict, InvalidInput
from shipyard.core.refs import AssetRef
from shipyard.serving import package_files
from shipyard.workspace import Workspace, current_workspace

MANIFEST = "shipyard-package.json"
DEFAULT_BASE_IMAGE = "python:3.11-slim"
_WHEEL = re.compile(r"^shipyard-(?P<version>[^-]+)-[^-]+-[^-]+-[^-]+\.whl$")
_EXAMPLES: dict[str, Any] = {
    "integer": 1,
    "float": 1.0,
    "string": "text",
    "boolean": True,
    "datetime": "2024-01-01T00:00:00",
}


@dataclass(frozen=True)
class PackageResult:
    """The context written: where, for which exact version, and its manifest."""

    path: Path
    version: str
    manifest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "version": self.version, "manifest": self.manifest}


def package_model(
    ref: str | AssetRef,
    out: str | os.PathLike[str],
    *,
    base_image: str | None = None,
    wheel: str | os.PathLike[str] | None = None,
    force: bool = False,
    trust: bool = False,
    workspace: Workspace | None = None,
) -> PackageResult:
    """Write a Docker build context serving the model version ``ref`` into the folder ``out``.

    Args:
        base_image: the image to build on; default ``python:X.Y-slim`` for the
            Python the model was saved with (``python:3.11-slim`` if unknown).
        wheel: a shipyard wheel to install in the image instead of fetching
            shipyard from the package index.
        force: replace ``out`` if it exists and is not empty.
        trust: serve with ``--trust`` (models whose files run code, such as python-class ones).
    """
    from shipyard.core.version import __version__

    ws = workspace or current_workspace()
    target = Path(out)
    _check_target(target, force)
    wheel_path = _check_wheel(Path(wheel)) if wheel is not None else None
    version = resolve(ref, "model", workspace=ws)
    staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    staging.mkdir(parents=True)
    try:
        download_version(version.ref, staging / "model", workspace=ws)
        metadata = read_model_metadata(staging / "model")  # fails if not a model folder
        shipyard_version = __version__
        if wheel_path is not None:
            (staging / "wheels").mkdir()
            shutil.copy2(wheel_path, staging / "wheels" / wheel_path.name)
            shipyard_version = _wheel_version(wheel_path)
        image = base_image or _default_image(metadata)
        manifest: dict[str, Any] = {
            "format": 1,
            "model": str(ref),
            "version": version.ref,
            "digest": version.digest,
            "flavor": metadata.get("flavor"),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "shipyard": shipyard_version,
            "base_image": image,
            "wheel": wheel_path.name if wheel_path is not None else None,
            "command": package_files.serve_command(trust),
            "port": package_files.PORT,
        }
        files = {
            "Dockerfile": package_files.dockerfile(image, manifest["wheel"], manifest["command"]),
            "requirements.txt": package_files.requirements(
                shipyard_version, dict(metadata.get("requirements") or {}), version.ref
            ),
            ".dockerignore": package_files.DOCKERIGNORE,
            "README.md": package_files.readme(manifest, _example(metadata)),
            MANIFEST: json.dumps(manifest, indent=2) + "\n",
        }
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PackageResult(target, version.ref, manifest)


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise Conflict(f"{target} is a file; give --out a folder to write the build context into")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise Conflict(
            f"{target} is not empty; choose a new folder, or pass --force to replace its contents"
        )


def _check_wheel(path: Path) -> Path:
    if not path.is_file():
        raise InvalidInput(f"no wheel at {path}")
    if _WHEEL.match(path.name) is None:
        raise InvalidInput(
            f"{path.name} is not a shipyard wheel (shipyard-VERSION-…-….whl); "
            "build one with `python -m build` or `uv build`"
        )
    return path


def _wheel_version(path: Path) -> str:
    match = _WHEEL.match(path.name)
    assert match is not None  # checked by _check_wheel
    return match.group("version")


def _default_image(metadata: dict[str, Any]) -> str:
    python = str(metadata.get("python") or "")
    parts = python.split(".")
    if len(parts) >= 2 and all(p.isdigit() for p in parts[:2]):
        return f"python:{parts[0]}.{parts[1]}-slim"
    return DEFAULT_BASE_IMAGE


def _example(metadata: dict[str, Any]) -> dict[str, Any]:
    inputs = (metadata.get("signature") or {}).get("inputs") or []
    return {str(c["name"]): _EXAMPLES.get(str(c.get("type"))) for c in inputs}


def _swap_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an existing ``target`` is set aside, then removed."""
    if not target.exists():
        os.replace(staging, target)
        return
    old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
    os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
