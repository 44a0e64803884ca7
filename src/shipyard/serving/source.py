"""What a server serves: the routes a SOURCE (and ``--split``/``--shadow``) stand for.

A route is one labelled way to a model version: an alias (followed as it
moves), ``latest`` (followed as versions are registered), a pinned version, or
a local model folder (fixed). ``resolve`` says which version each route names
right now; the server polls it to hot-reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.assets.models.model_folder import read_model_metadata
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.refs import AssetRef, parse_ref
from shipyard.serving.config import ServeConfig
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace

FOLDER_LABEL = "folder"


@dataclass(frozen=True)
class Route:
    """One way to a model version.

    Attributes:
        label: the name used in metrics, logs and the deployments page: the alias,
            ``latest``, ``v3`` for a pinned version, or ``folder``.
        ref: the registry reference (``None`` for a local folder).
        alias: what answers report as the serving alias (``None`` for a pinned
            version or a folder).
        movable: whether the route can point at another version later.
    """

    label: str
    ref: AssetRef | None
    alias: str | None
    movable: bool


@dataclass(frozen=True)
class ModelSource:
    """The routes of one server: live ones with weights, and an optional shadow."""

    text: str
    model: str
    routes: tuple[Route, ...]
    weights: tuple[float, ...]
    shadow: Route | None = None
    folder: Path | None = None

    @property
    def all_routes(self) -> tuple[Route, ...]:
        return self.routes + ((self.shadow,) if self.shadow else ())

    @property
    def movable(self) -> bool:
        return any(r.movable for r in self.all_routes)

    @property
    def split(self) -> dict[str, float]:
        return {r.label: w for r, w in zip(self.routes, self.weights, strict=True)}

    def resolve(self, ws: Workspace) -> dict[str, AssetVersion]:
        """The version each registry route names now (folders are not in the result)."""
        return {
            r.label: ws.store.assets.resolve(r.ref) for r in self.all_routes if r.ref is not None
        }


def parse_source(config: ServeConfig) -> ModelSource:
    """The routes ``config`` asks for; a user error (exit 2) names what is wrong."""
    text = config.source.strip()
    folder = Path(text).expanduser()
    if folder.is_dir():
        return _folder_source(text, folder, config)
    if "/" in text or text.startswith((".", "~")):
        raise NotFound(
            f"no model folder at {text}; SOURCE is a folder written by save_model (or a "
            "downloaded model version) or a model reference such as model:credit@production"
        )
    ref = parse_ref(text, "model")
    if config.split:
        if ref.version is not None or (ref.alias and ref.alias not in config.split):
            raise InvalidInput(
                f"--split spreads traffic over aliases of model:{ref.name}, but SOURCE {text} "
                f"names {ref.selector}; pass model:{ref.name} with --split"
            )
        routes = tuple(_alias_route(ref, alias) for alias in config.split)
        weights = tuple(float(w) for w in config.split.values())
    else:
        routes, weights = (_route(ref),), (100.0,)
    shadow = _alias_route(ref, config.shadow) if config.shadow else None
    if shadow is not None and shadow.label in {r.label for r in routes}:
        raise InvalidInput(
            f"--shadow {config.shadow} is the alias that already answers; shadow another alias "
            "(e.g. challenger)"
        )
    return ModelSource(text, ref.name, routes, weights, shadow)


def _folder_source(text: str, folder: Path, config: ServeConfig) -> ModelSource:
    if config.split or config.shadow:
        raise InvalidInput(
            "--split and --shadow need aliases from the registry; a model folder serves one "
            "fixed model (pass a model reference such as model:credit instead)"
        )
    read_model_metadata(folder)  # NotFound / InvalidInput when it is not a model folder
    route = Route(FOLDER_LABEL, None, None, movable=False)
    name = folder.resolve().name or "model"
    return ModelSource(text, name, (route,), (100.0,), folder=folder)


def _route(ref: AssetRef) -> Route:
    if ref.version is not None:
        return Route(f"v{ref.version}", ref, None, movable=False)
    if ref.alias is None:
        return Route("latest", ref, "latest", movable=True)
    return _alias_route(ref, ref.alias)


def _alias_route(ref: AssetRef, alias: str) -> Route:
    return Route(alias, AssetRef(ref.kind, ref.name, alias=alias), alias, movable=True)


def describe(routes: Mapping[str, AssetVersion]) -> str:
    """``production → v2, challenger → v3``, for messages."""
    return ", ".join(f"{label} → v{v.version}" for label, v in routes.items())
