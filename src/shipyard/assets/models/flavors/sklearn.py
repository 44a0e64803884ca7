"""Fitted scikit-learn estimators and pipelines, stored with skops rather than pickle.

A skops file names the types it needs; skops builds the ones it trusts by
default (scikit-learn, numpy, scipy) and this flavor refuses to load a file
that names any other type unless the caller trusts it: building an unknown
type can run its code. The error lists the types to pass as ``trusted=[...]``.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from shipyard.assets.models.flavors.protocol import Trust, trusted_names
from shipyard.assets.models.optional import require
from shipyard.core.errors import Forbidden, InvalidInput, NotFound

FILE = "model.skops"


class SklearnFlavor:
    """A fitted scikit-learn estimator or pipeline (anything deriving from ``BaseEstimator``)."""

    name = "sklearn"
    packages: tuple[str, ...] = ("scikit-learn", "skops", "numpy", "scipy", "pandas")

    def can_save(self, obj: object) -> bool:
        if "sklearn" not in sys.modules:  # nothing can be an estimator before sklearn is imported
            return False
        from sklearn.base import BaseEstimator

        return isinstance(obj, BaseEstimator)

    def save(self, obj: object, folder: Path) -> dict[str, Any]:
        require("skops", "saving a scikit-learn model")
        import skops.io as sio  # type: ignore[import-untyped]
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
        if not callable(getattr(obj, "predict", None)):
            raise InvalidInput(f"{kind} has no predict method, so it cannot be served as a model")
        try:
            check_is_fitted(obj)
        except NotFittedError as exc:
            raise InvalidInput(f"{kind} is not fitted; call fit(...) before saving it") from exc
        path = folder / FILE
        try:
            sio.dump(obj, path)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(f"skops cannot store this {kind}: {exc}") from exc
        _normalize_zip(path)
        return {
            "file": FILE,
            "estimator": kind,
            "untrusted_types": sio.get_untrusted_types(file=path),
        }

    def load(self, folder: Path, metadata: Mapping[str, Any], trusted: Trust = ()) -> SklearnModel:
        require("skops", "loading a scikit-learn model")
        import skops.io as sio

        path = folder / str(metadata.get("file", FILE))
        if not path.is_file():
            raise NotFound(f"the model folder has no {path.name}")
        try:
            untrusted: list[str] = sio.get_untrusted_types(file=path)
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise InvalidInput(f"{path.name} is not a readable skops file: {exc}") from exc
        allowed = trusted_names(trusted)
        refused = [t for t in untrusted if allowed is not None and t not in allowed]
        if refused:
            raise Forbidden(
                f"the model file needs types that are not trusted by default: {', '.join(refused)}. "
                "Building them can run their code. If you trust whoever saved this model, "
                f"load it with trusted={refused!r} (or trusted=True to trust everything in it)."
            )
        return SklearnModel(sio.load(path, trusted=untrusted or None))


class SklearnModel:
    """A loaded estimator; gets a DataFrame when it was fitted on one, else a numpy array."""

    predict_proba: Callable[[Any], Any] | None

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.by_name = hasattr(estimator, "feature_names_in_")
        has_proba = callable(getattr(estimator, "predict_proba", None))
        self.predict_proba = self._predict_proba if has_proba else None

    def predict(self, frame: Any) -> Any:
        return self.estimator.predict(self._features(frame))

    def _predict_proba(self, frame: Any) -> Any:
        return self.estimator.predict_proba(self._features(frame))

    def _features(self, frame: Any) -> Any:
        # An estimator fitted on a bare array warns when it gets column names, and vice versa.
        if self.by_name:
            return frame[list(self.estimator.feature_names_in_)]
        return frame.to_numpy()


def _normalize_zip(path: Path) -> None:
    """Rewrite a skops zip with fixed entry times and names, so the same model is the same bytes.

    skops stamps each entry with the current time, writes Python object ids
    (``__id__``) into its schema and names array files after them
    (``140601139453296.npy``); the registry deduplicates versions by content,
    and a model saved twice, in this process or another, must not become two
    versions.
    """
    import zipfile

    with zipfile.ZipFile(path) as src:
        files = {info.filename: (info, src.read(info)) for info in src.infolist()}
    schema_info, schema = files.pop("schema.json")
    schema, renamed = _renumber(schema, set(files))
    entries = [(schema_info, "schema.json", schema)]
    entries += [(info, renamed.get(name, name), data) for name, (info, data) in files.items()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for info, name, data in sorted(entries, key=lambda e: e[1]):
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, data)
    tmp.replace(path)


def _renumber(schema: bytes, members: set[str]) -> tuple[bytes, dict[str, str]]:
    """Replace skops's ``__id__`` values and id-named member files by their order of appearance.

    The ids only link references to the same object inside one file, and the
    file names only link a schema node to its member, so any consistent
    renumbering keeps their meaning. Returns the new schema and old → new names.
    """
    import json

    numbers: dict[int, int] = {}
    renamed: dict[str, str] = {}

    def rename(name: str) -> str:
        if name not in renamed:
            suffix = name[name.rfind(".") :] if "." in name else ""
            renamed[name] = f"member-{len(renamed) + 1}{suffix}"
        return renamed[name]

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = numbers.setdefault(value, len(numbers) + 1)
                elif key == "file" and isinstance(value, str) and value in members:
                    out[key] = rename(value)
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return json.dumps(walk(json.loads(schema)), indent=2).encode(), renamed
