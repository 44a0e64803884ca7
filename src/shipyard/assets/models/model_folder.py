"""A saved model is a folder: the flavor's files plus ``shipyard_model.json``.

``shipyard_model.json`` holds the flavor name and the flavor's metadata, the
signature, and the requirements. It is written last, so a folder without it
is an interrupted save, never a model. The folder knows nothing of the
registry; the registry stores it as the payload of a ``model`` asset version
and may keep the returned metadata in its own records.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from shipyard.assets.models.flavors import flavor_for, get_flavor
from shipyard.assets.models.flavors.protocol import Trust
from shipyard.assets.models.loaded import LoadedModel
from shipyard.assets.models.requirements import capture_requirements
from shipyard.assets.models.signature import Signature, infer_output, infer_signature
from shipyard.core.errors import Conflict, InvalidInput, NotFound, ShipyardError

METADATA_FILE = "shipyard_model.json"
FORMAT = 1


def save_model(
    obj: object,
    folder: str | Path,
    *,
    sample_input: Any = None,
    sample_output: Any = None,
    signature: Signature | None = None,
    flavor: str | None = None,
    verify: bool = True,
) -> dict[str, Any]:
    """Save ``obj`` into ``folder`` (new or empty) and return the metadata written with it.

    The signature is ``signature`` if given, else inferred from ``sample_input``
    (and ``sample_output``). With ``verify`` the saved model is loaded back and
    run on ``sample_input``, so a model that cannot be reloaded fails now rather
    than in production; its output then describes the signature's output.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise Conflict(f"{folder} is not an empty folder; save a model into a new or empty one")
    chosen = get_flavor(flavor) if flavor else flavor_for(obj)
    if not chosen.can_save(obj):
        raise InvalidInput(f"the {chosen.name} flavor cannot save a {type(obj).__qualname__}")
    if signature is None:
        if sample_input is None:
            raise InvalidInput(
                "pass sample_input= (a few rows of what predict receives) or signature=, "
                "so that every predict call can be checked against the model's inputs"
            )
        signature = infer_signature(sample_input, sample_output)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        metadata: dict[str, Any] = {
            "format": FORMAT,
            "flavor": chosen.name,
            "flavor_metadata": chosen.save(obj, folder),
            "signature": signature.to_dict(),
            "requirements": capture_requirements(chosen, obj),
            "python": platform.python_version(),
        }
        if verify and sample_input is not None:
            output = _try_predict(model_from_metadata(folder, metadata, trusted=True), sample_input)
            if signature.output is None:
                metadata["signature"] = replace(signature, output=infer_output(output)).to_dict()
        _write_json(folder / METADATA_FILE, metadata)
    except BaseException:
        _clear(folder, remove=created)
        raise
    return metadata


def load_model(folder: str | Path, trusted: Trust = ()) -> LoadedModel:
    """Load the model saved in ``folder``; see the flavors for what ``trusted`` allows."""
    folder = Path(folder)
    return model_from_metadata(folder, read_model_metadata(folder), trusted)


def read_model_metadata(folder: str | Path) -> dict[str, Any]:
    """The ``shipyard_model.json`` of a saved model folder."""
    path = Path(folder) / METADATA_FILE
    if not path.is_file():
        raise NotFound(f"{folder} has no {METADATA_FILE}, so it is not a saved shipyard model")
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(metadata, dict) or "flavor" not in metadata:
        raise InvalidInput(f"{path} does not describe a model (no flavor)")
    if int(metadata.get("format", 1)) > FORMAT:
        raise InvalidInput(
            f"this model was saved by a newer shipyard (format {metadata['format']}); upgrade "
            "shipyard to load it"
        )
    return metadata


def model_from_metadata(folder: Path, metadata: dict[str, Any], trusted: Trust = ()) -> LoadedModel:
    """Load a model folder whose metadata the caller already has (from the registry, say)."""
    flavor = get_flavor(str(metadata["flavor"]))
    predictor = flavor.load(folder, metadata.get("flavor_metadata", {}), trusted)
    signature = Signature.from_dict(metadata["signature"])
    return LoadedModel(flavor.name, signature, predictor, metadata)


def _try_predict(model: LoadedModel, sample_input: Any) -> Any:
    try:
        return model.predict(sample_input)
    except ShipyardError as exc:
        raise InvalidInput(
            f"the saved {model.flavor} model cannot predict on sample_input: {exc.message}"
        ) from exc


def _write_json(path: Path, body: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(body, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def _clear(folder: Path, remove: bool) -> None:
    if remove:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
