"""The model versions a server holds, which route each serves, and hot reload.

Every ``reload_interval`` seconds the pool asks the store where each movable
route (an alias, ``latest``) points. A route that moved gets its new version
loaded in a thread, then the route table is swapped in one assignment:
requests already handed to the old version's batcher finish there, new ones
go to the new version, and none fails. A version that no route uses any more
is retired once its queue is empty. When the store or a load fails, the
previous version keeps serving and the failure is counted and reported.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from shipyard.assets.models.loaded import LoadedModel
from shipyard.core.errors import ShipyardError
from shipyard.serving.config import ServeConfig
from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.model_cache import load_folder, load_version
from shipyard.serving.notices import RateLimitedWarnings
from shipyard.serving.served_model import ServedModel
from shipyard.serving.source import ModelSource, Route
from shipyard.serving.traffic_split import TrafficSplit
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace

_RETRY_FAILED_LOAD_S = 5.0


class ModelPool:
    """Route label → ``ServedModel``, kept current with the registry."""

    def __init__(
        self,
        source: ModelSource,
        ws: Workspace | None,
        config: ServeConfig,
        metrics: ServingMetrics,
        warnings: RateLimitedWarnings,
    ) -> None:
        self.source = source
        self.ws = ws
        self.config = config
        self.metrics = metrics
        self.warnings = warnings
        self.routes: dict[str, ServedModel] = {}
        self.by_label: dict[str, Route] = {r.label: r for r in source.all_routes}
        self.split = TrafficSplit([r.label for r in source.routes], source.weights)
        self.load_error: str | None = None
        self.on_change: Callable[[], None] | None = None
        self._by_key: dict[object, ServedModel] = {}
        self._failed_until: dict[int, float] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def ready(self) -> bool:
        return bool(self.routes)

    # -- choosing ------------------------------------------------------------------

    def pick(self, key: str | None = None) -> tuple[Route, ServedModel]:
        """The route (by weight, or sticky by ``key``) and the version serving it now."""
        label = self.split.choose(key)
        return self.by_label[label], self.routes[label]

    def shadow(self) -> tuple[Route, ServedModel] | None:
        route = self.source.shadow
        if route is None:
            return None
        served = self.routes.get(route.label)
        return None if served is None else (route, served)

    def versions(self) -> dict[str, int | None]:
        """Route label → version served now (what the deployments registry shows)."""
        return {label: served.version for label, served in self.routes.items()}

    def digests(self) -> dict[str, str]:
        return {label: served.digest for label, served in self.routes.items()}

    # -- loading -------------------------------------------------------------------

    def load_now(self) -> None:
        """Load every route before serving (blocking); errors propagate to the caller."""
        self._install(self._load_all())

    async def start(self) -> None:
        """Load in the background if not loaded yet, and start following the aliases."""
        loop = asyncio.get_running_loop()
        if not self.ready:
            self._tasks.append(loop.create_task(self._initial_load()))
        if self.source.movable and self.ws is not None:
            self._tasks.append(loop.create_task(self._follow()))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await asyncio.gather(
            *(s.batcher.close() for s in set(self.routes.values())), return_exceptions=True
        )

    async def refresh(self) -> None:
        """One check of every movable route; load and swap in what moved."""
        assert self.ws is not None
        movable = [r for r in self.source.all_routes if r.movable and r.ref is not None]
        found = await asyncio.to_thread(self._resolve, movable)
        new = dict(self.routes)
        changed = False
        for route in movable:
            version = found[route.label]
            if isinstance(version, BaseException):
                self.metrics.reload_errors.inc((route.label,))
                self.warnings.warn(
                    f"reload-{route.label}",
                    f"cannot check where {route.ref} points (still serving the version loaded "
                    f"before): {_message(version)}",
                )
                continue
            current = self.routes.get(route.label)
            if current is not None and current.version_id == version.id:
                continue
            served = await self._served(route, version)
            if served is not None:
                new[route.label] = served
                self.metrics.reloads.inc((route.label,))
                changed = True
        if changed:
            self._install(new)

    async def _served(self, route: Route, version: AssetVersion) -> ServedModel | None:
        known = self._by_key.get(version.id)
        if known is not None:
            return known
        if self._failed_until.get(version.id, 0.0) > time.monotonic():
            return None
        try:
            return await asyncio.to_thread(self._make, version)
        except Exception as exc:
            self._failed_until[version.id] = time.monotonic() + max(
                _RETRY_FAILED_LOAD_S, 10 * self.config.reload_interval
            )
            self.metrics.reload_errors.inc((route.label,))
            self.warnings.warn(
                f"load-{version.ref}",
                f"{route.label} moved to {version.ref} but it cannot be loaded, so the previous "
                f"version keeps serving: {_message(exc)}",
            )
            return None

    def _resolve(self, routes: list[Route]) -> dict[str, AssetVersion | BaseException]:
        assert self.ws is not None
        found: dict[str, AssetVersion | BaseException] = {}
        for route in routes:
            assert route.ref is not None
            try:
                found[route.label] = self.ws.store.assets.resolve(route.ref)
            except Exception as exc:
                found[route.label] = exc
        return found

    def _load_all(self) -> dict[str, ServedModel]:
        if self.source.folder is not None:
            model, digest = load_folder(self.source.folder, trust=self.config.trust)
            served = self._wrap(None, None, digest, model)
            return {route.label: served for route in self.source.routes}
        assert self.ws is not None
        versions = self.source.resolve(self.ws)
        loaded: dict[int, ServedModel] = {}
        routes: dict[str, ServedModel] = {}
        for label, version in versions.items():
            known = loaded.get(version.id) or self._by_key.get(version.id)
            routes[label] = known or loaded.setdefault(version.id, self._make(version))
        return routes

    def _make(self, version: AssetVersion) -> ServedModel:
        assert self.ws is not None
        model = load_version(version, self.ws, trust=self.config.trust)
        return self._wrap(version.version, version.id, version.digest, model)

    def _wrap(
        self, version: int | None, version_id: int | None, digest: str, model: LoadedModel
    ) -> ServedModel:
        label = "" if version is None else str(version)
        served = ServedModel(
            self.source.model,
            version,
            version_id,
            digest,
            model,
            max_batch_size=self.config.max_batch_size,
            max_wait_ms=self.config.max_wait_ms,
            on_batch=lambda rows: self.metrics.batch_size.observe(rows, (label,)),
        )
        served.warm_up()
        return served

    def _install(self, routes: dict[str, ServedModel]) -> None:
        old = set(self.routes.values())
        self.routes = routes  # the swap: one assignment, seen by the next request
        kept = set(routes.values())
        self._by_key = {s.version_id if s.version_id is not None else s.digest: s for s in kept}
        for served in old - kept:
            served.batcher.retire()
        self.load_error = None
        if self.on_change is not None:
            self.on_change()

    async def _initial_load(self) -> None:
        while not self.ready:
            try:
                routes = await asyncio.to_thread(self._load_all)
            except Exception as exc:
                self.load_error = _message(exc)
                self.warnings.warn("initial-load", f"cannot load the model yet: {self.load_error}")
                await asyncio.sleep(self.config.reload_interval)
                continue
            self._install(routes)

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.config.reload_interval)
            if not self.ready:
                continue
            try:
                await self.refresh()
            except Exception as exc:  # never let the follower die: report and try again
                self.warnings.warn("reload", f"checking the aliases failed: {_message(exc)}")


def _message(exc: BaseException) -> str:
    if isinstance(exc, ShipyardError):
        return exc.message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
