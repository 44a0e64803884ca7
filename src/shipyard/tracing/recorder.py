"""The trace recorder: finished traces queue in memory; one daemon thread writes them in batches.

A request never waits for the store: ending a trace appends it to a bounded
queue and returns. The writer thread takes up to ``batch_size`` traces at a
time (or whatever came within ``interval_s`` of the first), turns them into
rows and stores them in one transaction per workspace, then hands the spans to
the OTLP exporter when one is configured.

When the store is slow or down the queue fills; then the oldest trace is
dropped so the newest are kept, with a warning in the log (at most one every
ten seconds). A failed batch is written again trace by trace, so one trace
the store refuses is the only one logged and dropped. Nothing here
raises into a request. ``flush_traces`` waits until everything queued so far
is written: tests, the CLI and servers call it before they stop (and it runs
at interpreter exit).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shipyard.tracing.records import Rows, build_records
from shipyard.tracing.span import TraceState

if TYPE_CHECKING:
    from shipyard.core.settings import Settings
    from shipyard.tracing.otlp import OtlpExporter
    from shipyard.workspace import Workspace

log = logging.getLogger("shipyard.tracing")

_WARN_EVERY_S = 10.0


class TraceRecorder:
    """A bounded queue of finished traces and the thread that stores them.

    Args:
        capacity: traces that may wait; beyond that the oldest is dropped.
        batch_size: the most traces written in one transaction.
        interval_s: the longest a trace waits for others to share its write.
        workspace: where traces that name no workspace go (default: the current one).
    """

    def __init__(
        self,
        capacity: int = 10_000,
        batch_size: int = 500,
        interval_s: float = 0.15,
        workspace: Callable[[], Workspace] | None = None,
    ) -> None:
        self.capacity = capacity
        self.batch_size = batch_size
        self.interval_s = interval_s
        self._enough = max(1, min(batch_size, capacity // 2))
        """Queued traces that wake the writer before its interval is up."""
        self._default_workspace = workspace
        self._items: deque[TraceState] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._submitted = 0
        self._finished = 0  # written, failed or dropped
        self._flushing = 0
        self._thread: threading.Thread | None = None
        self._exporters: dict[str, OtlpExporter] = {}
        self._warned: dict[str, float] = {}
        self.written = 0
        self.dropped = 0

    @property
    def queued(self) -> int:
        return len(self._items)

    def submit(self, state: TraceState) -> None:
        """Queue a finished trace; never blocks, never raises."""
        if state.workspace is None and self._default_workspace is None:
            state.settings = _settings_now()
        with self._cond:
            if self._thread is None:
                self._start()
            if len(self._items) >= self.capacity:
                self._items.popleft()
                self._finished += 1
                self.dropped += 1
                full = True
            else:
                full = False
            was_empty = not self._items
            self._items.append(state)
            self._submitted += 1
            if was_empty or len(self._items) >= self._enough or self._flushing:
                self._cond.notify_all()
        if full:
            self._warn(
                "full",
                f"the trace queue is full ({self.capacity} traces; the store is slow or down): "
                "dropping the oldest traces instead of slowing requests",
            )

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every trace queued before this call is written; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            self._flushing += 1
            self._cond.notify_all()
            try:
                done = self._cond.wait_for(
                    lambda: self._finished >= target, max(0.0, deadline - time.monotonic())
                )
            finally:
                self._flushing -= 1
        for exporter in list(self._exporters.values()):
            done = exporter.flush(max(0.0, deadline - time.monotonic())) and done
        return done

    def close(self, timeout: float = 5.0) -> None:
        """Flush, then stop the exporters (the writer is a daemon and simply idles)."""
        self.flush(timeout)
        for exporter in list(self._exporters.values()):
            exporter.shutdown()
        self._exporters.clear()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="shipyard-traces", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                self._write(batch)
            except BaseException as exc:  # the writer must outlive any one bad batch
                self.dropped += len(batch)
                self._warn("bug", f"cannot record {len(batch)} trace(s): {_first_line(exc)}")
            finally:
                with self._cond:
                    self._finished += len(batch)
                    self._cond.notify_all()
            del batch  # not kept alive (up to batch_size traces) while waiting for the next

    def _next_batch(self) -> list[TraceState]:
        with self._cond:
            while not self._items:
                self._cond.wait()
            deadline = time.monotonic() + self.interval_s
            while len(self._items) < self._enough and not self._flushing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            n = min(self.batch_size, len(self._items))
            return [self._items.popleft() for _ in range(n)]

    def _write(self, batch: Sequence[TraceState]) -> None:
        opened: dict[Settings, Workspace] = {}
        try:
            self._write_rows(batch, opened)
        finally:
            for ws in opened.values():
                ws.close()

    def _write_rows(self, batch: Sequence[TraceState], opened: dict[Settings, Workspace]) -> None:
        groups: dict[int, tuple[Workspace, list[Rows]]] = {}
        exports: dict[str, list[Rows]] = {}
        env_endpoint = os.environ.get("SHIPYARD_OTLP_ENDPOINT") or None
        for state in batch:
            try:
                rows = build_records(state)
                state.release()
                ws = state.workspace or self._workspace(state.settings, opened)
            except Exception as exc:
                self.dropped += 1
                self._warn("build", f"cannot record trace {state.trace_id}: {_first_line(exc)}")
                continue
            groups.setdefault(id(ws), (ws, []))[1].append(rows)
            endpoint = state.otlp_endpoint or env_endpoint
            if endpoint:
                exports.setdefault(endpoint, []).append(rows)
        for ws, rows_list in groups.values():
            self._store(ws, rows_list)
        for endpoint, rows_list in exports.items():
            try:
                self._exporter(endpoint).export([s for r in rows_list for s in r[1]])
            except Exception as exc:
                self._warn("otlp", f"cannot export traces to {endpoint}: {_first_line(exc)}")

    def _store(self, ws: Workspace, rows_list: list[Rows]) -> None:
        """Write a batch in one transaction; if it fails, trace by trace, so one bad trace
        (a value the database refuses) cannot take the others with it."""
        try:
            _record(ws, rows_list)
        except Exception as exc:
            if len(rows_list) == 1:
                self._dropped(ws, rows_list, exc)
                return
            for rows in rows_list:
                try:
                    _record(ws, [rows])
                except Exception as one_exc:  # the store is down or refused: log, keep serving
                    self._dropped(ws, [rows], one_exc)
                else:
                    self.written += 1
        else:
            self.written += len(rows_list)

    def _dropped(self, ws: Workspace, rows_list: list[Rows], exc: Exception) -> None:
        self.dropped += len(rows_list)
        self._warn(
            "store",
            f"cannot write {len(rows_list)} trace(s) to {ws.location}, dropped: {_first_line(exc)}",
        )

    def _workspace(self, settings: Settings | None, opened: dict[Settings, Workspace]) -> Workspace:
        """The workspace the settings of the trace's time name (those of now, nearly always)."""
        if self._default_workspace is not None:
            return self._default_workspace()
        from shipyard.workspace import Workspace, current_workspace

        if settings is None or settings == _settings_now():
            return current_workspace()
        ws = opened.get(settings)
        if ws is None:  # the settings changed since (tests switch homes): open it for this batch
            ws = opened[settings] = Workspace.open(settings)
        return ws

    def _exporter(self, endpoint: str) -> OtlpExporter:
        exporter = self._exporters.get(endpoint)
        if exporter is None:
            from shipyard.tracing.otlp import OtlpExporter

            exporter = self._exporters[endpoint] = OtlpExporter(endpoint)
        return exporter

    def _warn(self, key: str, message: str) -> None:
        now = time.monotonic()
        if now - self._warned.get(key, -_WARN_EVERY_S) >= _WARN_EVERY_S:
            self._warned[key] = now
            log.warning(message)


def _record(ws: Workspace, rows_list: Sequence[Rows]) -> None:
    ws.store.traces.record(
        [r[0] for r in rows_list],
        [s for r in rows_list for s in r[1]],
        [c for r in rows_list for c in r[2]],
    )


_SETTINGS_ENV = ("SHIPYARD_HOME", "SHIPYARD_DB", "SHIPYARD_BLOBS", "SHIPYARD_URI", "SHIPYARD_TOKEN")
_settings_cache: tuple[tuple[object, ...], Settings | None] | None = None


def _settings_now() -> Settings | None:
    """The settings in force now, cheaply: read again only when what they come from changed.

    ``Settings.load`` parses ``shipyard.toml``; ending a trace runs on the request
    thread, so the result is kept until a ``SHIPYARD_*`` variable, the working
    directory or the file's modification time changes.
    """
    global _settings_cache
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = ""
    try:
        toml: object = os.stat(os.path.join(cwd, "shipyard.toml")).st_mtime_ns
    except OSError:
        toml = None
    key = (cwd, toml, *(os.environ.get(name) for name in _SETTINGS_ENV))
    cached = _settings_cache
    if cached is not None and cached[0] == key:
        return cached[1]
    from shipyard.core.settings import Settings

    try:
        settings: Settings | None = Settings.load()
    except Exception:  # unreadable shipyard.toml: the writer reports it when it resolves again
        settings = None
    _settings_cache = (key, settings)
    return settings


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text).strip().splitlines()[0]


_recorder: TraceRecorder | None = None
_lock = threading.Lock()


def recorder() -> TraceRecorder:
    """The process's recorder, created on first use."""
    global _recorder
    if _recorder is None:
        with _lock:
            if _recorder is None:
                _recorder = TraceRecorder()
    return _recorder


def submit(state: TraceState) -> None:
    recorder().submit(state)


def flush_traces(timeout: float = 10.0) -> bool:
    """Block until every trace finished so far is stored (and exported); False on timeout.

    Call it before a process or server stops; it also runs at interpreter exit.
    """
    r = _recorder
    return True if r is None else r.flush(timeout)


def _at_exit() -> None:
    r = _recorder
    if r is not None:
        r.close(timeout=5.0)


def _forget_after_fork() -> None:
    # The parent's writer thread does not exist in the child, and its queue is the parent's.
    global _recorder, _lock
    _recorder = None
    _lock = threading.Lock()


atexit.register(_at_exit)
os.register_at_fork(after_in_child=_forget_after_fork)
