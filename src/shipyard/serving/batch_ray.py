"""The Ray executor of batch inference: Ray tasks on warm workers, each loading the model once.

The driver reads the input chunk by chunk and submits one task per chunk
(Ray ships the chunk through its object store and schedules the task on the
cluster); it keeps a bounded number of chunks in flight and takes the
results back in input order, so the output is the same file the local
executor writes, and memory stays bounded however large the input is.

Tasks rather than actors: Ray keeps its worker processes (and their imports
of pandas and scikit-learn) from one task to the next, and each process
keeps the last few models it loaded, so a worker loads a model once and a
second job on the same cluster starts at once. An actor would need a fresh
process, and those imports again, for every job.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from typing import Any

from shipyard.assets.models.loaded import LoadedModel
from shipyard.core.errors import Failure, ShipyardError
from shipyard.pipelines import ray_cluster
from shipyard.serving.batch_chunks import prediction_columns
from shipyard.serving.batch_io import Chunk
from shipyard.serving.batch_model import BatchModel
from shipyard.workspace import Workspace

MODELS_PER_WORKER = 2

_loaded: OrderedDict[str, LoadedModel] = OrderedDict()
_loaded_lock = threading.Lock()


def predict_chunk_task(model: BatchModel, chunk: Chunk, proba: bool) -> Any:
    """What one Ray task runs: the prediction columns of ``chunk`` (the model loaded once here)."""
    return prediction_columns(_worker_model(model), chunk, proba)


def _worker_model(model: BatchModel) -> LoadedModel:
    key = model.cache_key
    with _loaded_lock:
        found = _loaded.get(key)
        if found is not None:
            _loaded.move_to_end(key)
            return found
        loaded = _loaded[key] = model.load()
        while len(_loaded) > MODELS_PER_WORKER:
            _loaded.popitem(last=False)
        return loaded


def predict_on_ray(
    ws: Workspace,
    model: BatchModel,
    chunks: Iterator[Chunk],
    *,
    proba: bool,
    address: str | None = None,
    workers: int | None = None,
) -> Iterator[tuple[Chunk, Any]]:
    """Yield ``(chunk, prediction columns)`` in input order, predicted by Ray tasks.

    At most ``workers`` chunks (default: the cluster's CPUs) are on the
    cluster at once: submitted and not yet taken back.
    """
    ray = ray_cluster.connect(ws, address)
    if workers is None:
        workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
    task = ray.remote(num_cpus=1, max_retries=0)(predict_chunk_task)
    spec = ray.put(model)
    pending: deque[tuple[Chunk, Any]] = deque()
    try:
        for chunk in chunks:
            if len(pending) >= workers:
                yield _take(ray, pending.popleft())
            pending.append((chunk, task.remote(spec, chunk, proba)))
        while pending:
            yield _take(ray, pending.popleft())
    finally:
        for _, ref in pending:  # stopped early (an error, a closed generator): drop the rest
            ray.cancel(ref)


def _take(ray: Any, item: tuple[Chunk, Any]) -> tuple[Chunk, Any]:
    chunk, ref = item
    try:
        return chunk, ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, ShipyardError):
            raise cause from None  # a bad row or a refused model: the same error as locally
        raise Failure(f"a Ray worker failed: {_first_line(cause or exc)}") from exc
    except ray.exceptions.RayError as exc:
        raise Failure(f"a Ray worker failed: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
