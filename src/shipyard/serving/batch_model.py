"""Which model a batch job runs, in a form that a Ray worker can load by itself.

A job names a registered version (``model:credit@production``) or a saved
model folder. The driver resolves a reference once, to an exact version
(``model:credit@3``), so an alias that moves during the job does not change
the model half-way; workers then load that version (through the model cache
of ``serving.model_cache``, so a machine downloads it once) from the workspace
whose settings travel with the job (Ray's own environment is fixed when Ray
starts, while the workspace can differ from one job to the next).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.assets.models.flavors.protocol import Trust
from shipyard.assets.models.loaded import LoadedModel
from shipyard.assets.models.model_folder import METADATA_FILE, load_model
from shipyard.assets.registry import resolve, use
from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef, parse_ref
from shipyard.core.settings import Settings
from shipyard.serving.model_cache import load_version as cached_load
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace


@dataclass(frozen=True)
class BatchModel:
    """A model to load: an exact registered version (``ref``) or a local ``folder``.

    Attributes:
        ref: ``model:NAME@N``, downloaded from the workspace ``env`` names.
        folder: a saved model folder (it must be visible to every worker).
        trusted: what loading may build (see ``sy.models.load``).
        env: the ``SHIPYARD_*`` settings of the workspace holding ``ref``.
        saved_at: when ``folder``'s model was saved (ns), so a worker reloads a re-saved one.
    """

    ref: str | None = None
    folder: str | None = None
    trusted: Trust = ()
    env: dict[str, str] = field(default_factory=dict)
    saved_at: int = 0

    @property
    def label(self) -> str:
        return self.ref or str(self.folder)

    @property
    def cache_key(self) -> str:
        """Equal for jobs that would load the same model the same way."""
        return repr((self.ref, self.folder, self.saved_at, self.trusted, sorted(self.env.items())))

    def load(self) -> LoadedModel:
        """Load the model here (in the driver or in a worker)."""
        if self.folder is not None:
            return load_model(self.folder, self.trusted)
        assert self.ref is not None
        ws = Workspace.open(Settings.load(env=self.env))
        try:
            return load_version(self.ref, ws, self.trusted)
        finally:
            ws.close()


def open_model(
    source: str | os.PathLike[str] | AssetRef, ws: Workspace, trusted: Trust, env: dict[str, str]
) -> tuple[BatchModel, AssetVersion | None]:
    """Resolve ``source``; a registered version is recorded as consumed by the active run."""
    if not isinstance(source, AssetRef):
        path = Path(source)
        if path.is_dir():
            metadata = path / METADATA_FILE
            if not metadata.is_file():
                raise InvalidInput(
                    f"{path} is a folder without {METADATA_FILE}, so not a saved shipyard model"
                )
            saved_at = metadata.stat().st_mtime_ns
            return BatchModel(folder=str(path.resolve()), trusted=trusted, saved_at=saved_at), None
        source = _parse(source)
    version = use(source, "model", workspace=ws)
    return BatchModel(ref=version.ref, trusted=trusted, env=env), version


def check_source(source: str | os.PathLike[str] | AssetRef, ws: Workspace) -> None:
    """Fail on a mistyped reference before anything (a run, a consumption) is recorded."""
    if isinstance(source, AssetRef) or not Path(source).is_dir():
        resolve(source if isinstance(source, AssetRef) else _parse(source), "model", workspace=ws)


def _parse(source: str | os.PathLike[str]) -> AssetRef:
    try:
        return parse_ref(str(source), "model")
    except InvalidInput:
        raise InvalidInput(
            f"{str(source)!r} is neither a model reference (model:NAME@VERSION|ALIAS) "
            "nor a saved model folder"
        ) from None


def load_version(ref: str, ws: Workspace, trusted: Trust) -> LoadedModel:
    """The exact version ``ref``, from this machine's model cache (one download per digest,
    shared by the driver, its Ray workers and model servers)."""
    return cached_load(resolve(ref, "model", workspace=ws), ws, trust=trusted)
