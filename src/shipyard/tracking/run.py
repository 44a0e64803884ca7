"""``ActiveRun``: the handle a ``with sy.start_run(...)`` block logs through."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from shipyard.store.records import ArtifactEntry, MetricPoint, ParamValue, Run, RunStatus
from shipyard.store.validation import (
    check_key,
    check_metric_value,
    check_step,
    check_timestamp,
)
from shipyard.tracking import artifacts
from shipyard.tracking.buffer import MetricBuffer
from shipyard.workspace import Workspace


class ActiveRun:
    """A run in progress. Metrics are buffered; params, tags and artifacts are written at once.

    Ends as ``finished`` when its ``with`` block exits normally, ``failed`` when
    it raises, ``killed`` on Ctrl-C.
    """

    def __init__(self, ws: Workspace, record: Run, on_end: Any = None) -> None:
        self.ws = ws
        self.id = record.id
        self.name = record.name
        self.experiment = record.experiment
        self.experiment_id = record.experiment_id
        self.parent_id = record.parent_id
        self.status: RunStatus = record.status
        self._record = record
        self._on_end = on_end
        self._keys: set[str] = set()
        self._next_step: dict[str, int] = {}
        self._buffer = MetricBuffer(self._write_points)

    def _write_points(self, points: list[MetricPoint]) -> None:
        self.ws.store.run_data.log_batch(self.id, metrics=points)

    # -- metrics ---------------------------------------------------------------
    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Buffer one point; ``step`` defaults to one past this key's last step."""
        if key not in self._keys:
            check_key("metric", key)
            self._keys.add(key)
        if type(value) is not float:
            value = check_metric_value(key, value)
        # Check here, not at write time: one bad point in a batch would fail
        # every later write of the background thread, and the points with it.
        step = self._next_step.get(key, 0) if step is None else check_step(key, step)
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        else:
            check_timestamp(key, timestamp)
        self._next_step[key] = step + 1
        self._buffer.add(MetricPoint(key, value, step, timestamp))

    def log_metrics(self, values: Mapping[str, float], step: int | None = None) -> None:
        for key, value in values.items():
            self.log_metric(key, value, step=step)

    def flush(self) -> int:
        """Write every buffered point; once this returns they survive a crash."""
        return self._buffer.flush()

    # -- params and tags ------------------------------------------------------
    def log_param(self, key: str, value: ParamValue) -> None:
        self.log_params({key: value})

    def log_params(self, values: Mapping[str, ParamValue]) -> None:
        """Params keep their type (numbers stay numbers) and cannot change once logged."""
        self.ws.store.run_data.log_batch(self.id, params=dict(values))

    def set_tag(self, key: str, value: str) -> None:
        self.set_tags({key: value})

    def set_tags(self, values: Mapping[str, str]) -> None:
        self.ws.store.run_data.log_batch(self.id, tags={k: str(v) for k, v in values.items()})

    # -- artifacts -------------------------------------------------------------
    def log_artifact(
        self, path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> list[ArtifactEntry]:
        """Store a file or a whole folder with the run."""
        return artifacts.upload(self.ws, self.id, path, artifact_path)

    def log_text(self, text: str, name: str) -> ArtifactEntry:
        return artifacts.upload_bytes(self.ws, self.id, text.encode("utf-8"), name)

    def log_dict(self, data: Any, name: str) -> ArtifactEntry:
        text = json.dumps(data, indent=2, sort_keys=True, default=str, allow_nan=True)
        return artifacts.upload_bytes(self.ws, self.id, text.encode("utf-8"), name)

    def download_artifacts(
        self, path: str | None = None, dst: str | os.PathLike[str] = "."
    ) -> list[Path]:
        self.flush()
        return artifacts.download(self.ws, self.id, path, dst)

    # -- lifecycle -------------------------------------------------------------
    def info(self) -> Run:
        """The run as stored now, with the latest value of every metric."""
        self.flush()
        return self.ws.store.runs.get(self.id)

    def end(self, status: RunStatus = "finished") -> None:
        """Flush and record the final status. Ending twice is harmless."""
        if self.status != "running":
            return
        try:
            self._buffer.close()
        finally:
            self.status = status
            try:
                self.ws.store.runs.finish(self.id, status)
            finally:
                # Even when the store refuses, the run leaves the active stack:
                # otherwise every later run would become its child.
                if self._on_end is not None:
                    self._on_end(self)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.end("finished")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("killed")
        else:
            self.end("failed")

    def __repr__(self) -> str:
        return f"<ActiveRun {self.id[:8]} {self.name!r} in {self.experiment!r} ({self.status})>"
