"""``sy.models``: register fitted models as versions, load them back with their signature enforced.

A model version is the folder ``save_model`` writes (the flavor's files plus
``shipyard_model.json``); its flavor, signature and requirements are copied
into the version's metadata, with the metrics of the run that registered it.
Loading a version checks the trust rules of its flavor: skops refuses types
it does not know unless trusted, a python-class model runs stored code and so
needs ``trusted=True``.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shipyard.assets.download import download_version
from shipyard.assets.models.flavors.protocol import Trust
from shipyard.assets.models.loaded import LoadedModel
from shipyard.assets.models.model_folder import model_from_metadata, save_model
from shipyard.assets.models.signature import Signature
from shipyard.assets.registry import register_files, resolve, use
from shipyard.core.refs import AssetRef
from shipyard.store.asset_records import AssetVersion
from shipyard.tracking.api import active_run
from shipyard.workspace import Workspace, current_workspace


def register(
    model: object,
    name: str,
    *,
    sample_input: Any = None,
    signature: Signature | None = None,
    flavor: str | None = None,
    derived_from: Sequence[str] = (),
    workspace: Workspace | None = None,
) -> AssetVersion:
    """Save ``model`` with its flavor and register it as the next version of ``model:NAME``.

    ``sample_input`` (a few rows of what ``predict`` takes) gives the signature
    that ``load(ref).predict`` enforces; the model is reloaded and run on it
    before anything is stored, so a model that cannot be loaded is never registered.
    """
    with tempfile.TemporaryDirectory(prefix="shipyard-model-") as tmp:
        folder = Path(tmp) / "model"
        meta = save_model(
            model, folder, sample_input=sample_input, signature=signature, flavor=flavor
        )
        files = {
            p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()
        }
        run = active_run()
        if run is not None:
            metrics = run.info().metrics
            meta = {**meta, "run_metrics": {k: v for k, v in metrics.items() if math.isfinite(v)}}
        version, _ = register_files(
            "model", name, files, meta, derived_from=derived_from, workspace=workspace
        )
    return version


def load(
    ref: str | AssetRef, *, trusted: Trust = (), workspace: Workspace | None = None
) -> LoadedModel:
    """A model version ready to ``predict``; input is checked against its signature first."""
    ws = workspace or current_workspace()
    version = use(ref, "model", workspace=ws)
    with tempfile.TemporaryDirectory(prefix="shipyard-model-") as tmp:
        download_version(version.ref, tmp, workspace=ws)
        return model_from_metadata(Path(tmp), dict(version.metadata), trusted)


def get(ref: str | AssetRef, *, workspace: Workspace | None = None) -> AssetVersion:
    """The version record: flavor, signature, requirements and run metrics are in ``.metadata``."""
    return resolve(ref, "model", workspace=workspace)
