"""Batch inference: a model over a file (or a table), tracked as a run, locally or on Ray.

``predict_file`` reads the input in chunks, predicts each with the same
conversion the REST server uses (``predict_values``), and writes the input's
columns plus ``prediction`` (and ``proba_<class>``) to a Parquet file that
appears only once complete. ``predict_frame`` does the same for a table in
memory and returns a DataFrame.

Each job is a run tagged ``shipyard.kind=batch-predict`` that consumed the
model version (lineage), with ``rows``, ``seconds`` and ``rows_per_second``
as metrics.

Executors: ``local`` predicts in this process; ``ray`` hands the chunks to a
pool of Ray actors (a local Ray instance, or ``ray_address``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Literal

from shipyard.assets.models.flavors.protocol import Trust
from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef
from shipyard.serving.batch_chunks import (
    check_free_names,
    empty_prediction_fields,
    prediction_columns,
)
from shipyard.serving.batch_io import AtomicParquetWriter, Chunk, TableInput
from shipyard.serving.batch_model import check_source, open_model
from shipyard.serving.model_cache import load_version as cached_load
from shipyard.store.records import ParamValue
from shipyard.tracking.api import start_run
from shipyard.workspace import Workspace, current_workspace

Executor = Literal["local", "ray"]
EXECUTORS: tuple[Executor, ...] = ("local", "ray")
DEFAULT_BATCH_SIZE = 50_000
EXPERIMENT = "batch-predict"
KIND_TAG = "shipyard.kind"

ModelSource = str | os.PathLike[str] | AssetRef


@dataclass(frozen=True)
class BatchResult:
    """What a batch job did.

    Attributes:
        model: the exact version (``model:credit@3``) or the model folder used.
        input: the input file (or ``<in-memory table>``).
        output: the Parquet file written, or ``None`` for ``predict_frame``.
        rows: rows predicted.
        chunks: how many chunks the input was cut into.
        seconds: wall time of reading, predicting and writing.
        executor: ``local`` or ``ray``.
        run_id: the tracking run of the job.
    """

    model: str
    input: str
    output: str | None
    rows: int
    chunks: int
    seconds: float
    executor: str
    run_id: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input": self.input,
            "output": self.output,
            "rows": self.rows,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "executor": self.executor,
            "run_id": self.run_id,
        }


def predict_file(
    model: ModelSource,
    input: str | os.PathLike[str] | object,
    output: str | os.PathLike[str],
    *,
    executor: Executor = "local",
    ray_address: str | None = None,
    workers: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    proba: bool = False,
    trusted: Trust = (),
    progress: bool = False,
    workspace: Workspace | None = None,
) -> BatchResult:
    """Predict every row of ``input`` with ``model`` and write them, with predictions, to ``output``.

    Args:
        model: ``model:NAME@VERSION|ALIAS`` or the path of a saved model folder.
        input: a ``.parquet`` (streamed), ``.csv``/``.tsv``/``.jsonl`` file, or a table.
        output: the ``.parquet`` file to write (replaced atomically if it exists).
        executor: ``local`` (this process) or ``ray`` (Ray actors).
        ray_address: a Ray cluster to join instead of a local instance.
        workers: with Ray, at most this many chunks at once (default: the cluster's CPUs).
        batch_size: rows per chunk; bounds memory and is the unit of work.
        proba: add a ``proba_<class>`` column per class.
        trusted: what loading the model may build (as for ``sy.models.load``).
        progress: show a progress bar on stderr.
    """
    source = TableInput(input, batch_size)
    with AtomicParquetWriter(output) as writer:
        result = _run(
            model,
            source,
            writer.write,
            output=str(writer.path),
            executor=executor,
            ray_address=ray_address,
            workers=workers,
            proba=proba,
            trusted=trusted,
            progress=progress,
            workspace=workspace,
        )
    return result


def predict_frame(
    model: ModelSource,
    data: object,
    *,
    executor: Executor = "local",
    ray_address: str | None = None,
    workers: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    proba: bool = False,
    trusted: Trust = (),
    workspace: Workspace | None = None,
) -> Any:
    """``data`` (a pandas/polars DataFrame or Arrow table) with its predictions, as a DataFrame.

    The same job as ``predict_file`` (tracked, chunked, on either executor)
    without files.
    """
    import pyarrow as pa  # type: ignore[import-untyped]

    source = TableInput(data, batch_size)
    parts: list[Any] = []
    _run(
        model,
        source,
        parts.append,
        output=None,
        executor=executor,
        ray_address=ray_address,
        workers=workers,
        proba=proba,
        trusted=trusted,
        progress=False,
        workspace=workspace,
    )
    return pa.concat_tables(parts).to_pandas()


def _run(
    model_source: ModelSource,
    source: TableInput,
    write: Callable[[Any], None],
    *,
    output: str | None,
    executor: Executor,
    ray_address: str | None,
    workers: int | None,
    proba: bool,
    trusted: Trust,
    progress: bool,
    workspace: Workspace | None,
) -> BatchResult:
    if executor not in EXECUTORS:
        raise InvalidInput(f"unknown executor {executor!r}; use one of: {', '.join(EXECUTORS)}")
    same_file = output is not None and source.path is not None
    if same_file and os.path.realpath(str(source.path)) == os.path.realpath(str(output)):
        raise InvalidInput("the output would overwrite the input; write to another file")
    ws = workspace or current_workspace()
    check_source(model_source, ws)
    params: dict[str, ParamValue] = {
        "model": str(model_source),
        "input": source.label,
        "output": output or "",
        "executor": executor,
        "batch_size": source.batch_size,
        "proba": proba,
    }
    with start_run(
        EXPERIMENT, params=params, tags={KIND_TAG: "batch-predict"}, workspace=ws
    ) as run:
        from shipyard.pipelines.ray_cluster import workspace_env

        spec, version = open_model(model_source, ws, trusted, workspace_env(ws))
        model = cached_load(version, ws, trust=trusted) if version else spec.load()
        if version is not None:
            run.log_param("model_version", version.ref)
        check_free_names(model, list(source.schema.names), proba)
        try:  # a missing column fails here, before any row is read
            model.signature.validate(source.schema.empty_table().to_pandas())
        except InvalidInput as exc:
            raise InvalidInput(f"{source.label}: {exc.message}") from exc
        started = time.perf_counter()
        rows = chunks = 0
        with _Bar(progress, source.num_rows, spec.label) as advance:
            if executor == "ray" and source.num_rows > 0:
                from shipyard.serving.batch_ray import predict_on_ray

                predicted: Iterator[tuple[Chunk, Any]] = predict_on_ray(
                    ws,
                    spec,
                    source.chunks(),
                    proba=proba,
                    address=ray_address,
                    workers=workers,
                )
            else:
                predicted = ((c, prediction_columns(model, c, proba)) for c in source.chunks())
            with closing(_labelled_errors(predicted, source.label)) as results:
                for chunk, columns in results:
                    table = chunk.table
                    for name, column in zip(columns.column_names, columns.columns, strict=True):
                        table = table.append_column(name, column)
                    write(table)
                    rows += table.num_rows
                    chunks += 1
                    advance(table.num_rows)
        if chunks == 0:
            write(_empty_output(source, model, proba))
        seconds = time.perf_counter() - started
        run.log_metrics(
            {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds if seconds else 0}
        )
    return BatchResult(
        model=spec.label,
        input=source.label,
        output=output,
        rows=rows,
        chunks=chunks,
        seconds=seconds,
        executor=executor,
        run_id=run.id,
    )


def _labelled_errors(
    predicted: Iterator[tuple[Chunk, Any]], label: str
) -> Generator[tuple[Chunk, Any], None, None]:
    """Put the input's name in front of an input error (a missing column, a bad value)."""
    try:
        yield from predicted
    except InvalidInput as exc:
        raise InvalidInput(f"{label}: {exc.message}") from exc
    finally:
        close = getattr(predicted, "close", None)
        if close is not None:
            close()  # cancels the Ray tasks still queued when writing failed


def _empty_output(source: TableInput, model: Any, proba: bool) -> Any:
    import pyarrow as pa

    fields = list(source.schema) + empty_prediction_fields(model, proba)
    return pa.schema(fields).empty_table()


class _Bar:
    """A rich progress bar by rows on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int, label: str) -> None:
        self.enabled, self.total, self.label = enabled, total, label
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,  # the summary that follows replaces it
        )
        self._progress.start()
        self._task = self._progress.add_task(f"predicting with {self.label}", total=self.total)
        return lambda n: self._progress.advance(self._task, n)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
