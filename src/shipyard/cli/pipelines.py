"""``shipyard pipelines``: run, list, show and resume pipelines made of ``@sy.step`` functions."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from shipyard.cli import output
from shipyard.core.errors import InvalidInput
from shipyard.pipelines.errors import PipelineFailed
from shipyard.pipelines.views import PipelineView, StepView

if TYPE_CHECKING:
    from shipyard.pipelines.result import PipelineResult
    from shipyard.pipelines.runner import Progress

app = typer.Typer(
    help="Pipelines: steps run as child runs, cached, retried and resumable, locally or on Ray.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")
_EXECUTOR_HELP = "Where steps run: local (processes), ray, or inline (this process)."
_NO_CACHE = typer.Option(False, "--no-cache", help="Execute every step, even unchanged ones.")
_MAX_PARALLEL = typer.Option(
    None, "--max-parallel", min=1, help="Steps running at once (default: CPU count; Ray: no limit)."
)
_RAY_ADDRESS = typer.Option(
    None, "--ray-address", help="Ray cluster address (default: start a local Ray instance)."
)
_COLOURS = {
    "pending": "dim",
    "running": "yellow",
    "finished": "green",
    "cached": "cyan",
    "failed": "bold red",
    "skipped": "dim",
}


@app.command("run")
def run_(
    target: str = typer.Argument(
        ..., help="The pipeline: module:name (imported from the current folder) or file.py:name."
    ),
    param: list[str] = typer.Option(
        None, "--param", "-p", help="A parameter as key=value (repeatable); JSON values, else text."
    ),
    executor: str = typer.Option("local", "--executor", "-x", help=_EXECUTOR_HELP),
    ray_address: str = _RAY_ADDRESS,
    no_cache: bool = _NO_CACHE,
    max_parallel: int = _MAX_PARALLEL,
    as_json: bool = _JSON,
) -> None:
    """Run a pipeline, showing its steps as they run."""
    from shipyard.pipelines.loader import load_pipeline
    from shipyard.pipelines.runner import run

    pipeline = load_pipeline(target)
    params = parse_params(param or [])
    _report(
        lambda progress: run(
            pipeline,
            params,
            executor=executor,
            ray_address=ray_address,
            cache=not no_cache,
            max_parallel=max_parallel,
            progress=progress,
        ),
        as_json,
    )


@app.command("resume")
def resume_(
    run_id: str = typer.Argument(..., help="The failed pipeline run (id or unique prefix)."),
    executor: str = typer.Option(
        None, "--executor", "-x", help=_EXECUTOR_HELP + " Default: the one the run used."
    ),
    ray_address: str = _RAY_ADDRESS,
    no_cache: bool = _NO_CACHE,
    max_parallel: int = _MAX_PARALLEL,
    as_json: bool = _JSON,
) -> None:
    """Run a failed pipeline again as a new run, reusing the steps that finished."""
    from shipyard.pipelines.runner import resume

    _report(
        lambda progress: resume(
            run_id,
            executor=executor,
            ray_address=ray_address,
            cache=not no_cache,
            max_parallel=max_parallel,
            progress=progress,
        ),
        as_json,
    )


@app.command("list")
def list_(
    pipeline: str = typer.Option(
        None, "--pipeline", help="Only runs of this pipeline (name or module:name)."
    ),
    status: str = typer.Option(None, "--status", help="Only runs in this status."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many runs."),
    as_json: bool = _JSON,
) -> None:
    """The most recent pipeline runs."""
    from shipyard.pipelines.inspect import list_pipeline_runs

    runs = list_pipeline_runs(pipeline, status, limit)
    if as_json:
        output.print_json([r.to_dict() for r in runs])
        return
    output.table(
        None,
        ["id", "pipeline", "status", "started", "duration", "executor", "resumed from", "error"],
        [
            (
                r.run_id[:8],
                r.name,
                r.status,
                output.when(r.start_time),
                output.duration(r.duration_ms),
                r.executor,
                r.resumed_from[:8] if r.resumed_from else None,
                r.error,
            )
            for r in runs
        ],
    )


@app.command("show")
def show(
    run_id: str = typer.Argument(..., help="Pipeline run id or a unique prefix."),
    as_json: bool = _JSON,
) -> None:
    """One pipeline run: its params and every step with status, timing and cache key."""
    from shipyard.pipelines.inspect import describe

    view = describe(run_id)
    if as_json:
        output.print_json(view.to_dict())
        return
    s = view.summary
    output.table(
        f"pipeline {s.name}",
        ["field", "value"],
        [
            ("run", s.run_id),
            ("pipeline", s.pipeline),
            ("status", s.status),
            ("executor", s.executor),
            ("started", output.when(s.start_time)),
            ("duration", output.duration(s.duration_ms)),
            ("resumed from", s.resumed_from),
            ("error", s.error),
            *((f"param {k}", json.dumps(v)) for k, v in view.params.items()),
        ],
    )
    output.out.print(steps_table(view))


def steps_table(view: PipelineView, live: bool = False) -> Table:
    """The steps of ``view`` as a table; ``live`` ticks the duration of running steps."""
    table = Table(title_justify="left", header_style="bold")
    if live:
        table.title = f"pipeline {view.summary.name} · run {view.run_id[:8]}"
    for column in ("step", "status", "attempts", "duration", "cache key", "run", "note"):
        table.add_column(column, overflow="fold", no_wrap=column == "step")
    now = int(time.time() * 1000)
    for step in view.steps:
        duration = step.duration_ms
        if duration is None and live and step.status == "running" and step.start_time:
            duration = now - step.start_time
        table.add_row(
            step.id,
            Text(step.status, style=_COLOURS.get(step.status, "")),
            str(step.attempts) if step.attempts else "–",
            output.duration(duration),
            step.cache_key[:12] if step.cache_key else "–",
            step.run_id[:8] if step.run_id else "–",
            _note(step),
        )
    return table


def _note(step: StepView) -> str:
    if step.status == "failed" and step.error:
        return step.error
    if step.cached_from:
        return f"cached from {step.cached_from[:8]}"
    return "; ".join(o.summary for o in step.outputs)


def parse_params(items: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; a value that parses as JSON is that value, anything else is text."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--param takes key=value, got {item!r}")
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


def _report(start: Callable[[Progress], PipelineResult], as_json: bool) -> None:
    """Run with a live table on stderr; then print the outcome (``--json``: the run, even failed)."""
    from shipyard.pipelines.inspect import describe

    progress = _Progress(quiet=as_json)
    try:
        with progress:
            result = start(progress.update)
    except KeyboardInterrupt:
        if progress.run_id:
            output.err.print(
                f"interrupted: pipeline run {progress.run_id[:8]} stopped; resume with: "
                f"shipyard pipelines resume {progress.run_id[:8]}",
                highlight=False,
            )
        raise
    except PipelineFailed as exc:
        if as_json:
            output.print_json(describe(exc.run_id).to_dict())
        raise
    view = result.view
    if as_json:
        output.print_json(view.to_dict())
        return
    counts = view.counts()
    cached = f", {counts['cached']} cached" if counts["cached"] else ""
    output.err.print(
        f"pipeline {view.summary.name} {view.status} in "
        f"{output.duration(view.summary.duration_ms)}: {len(view.steps)} steps{cached} "
        f"(run {view.run_id[:8]}; details: shipyard pipelines show {view.run_id[:8]})",
        highlight=False,
    )


class _Progress:
    """A live table of the steps on stderr, redrawn from the scheduler's thread (no extra thread)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.live: Live | None = None
        self.run_id: str | None = None

    def __enter__(self) -> _Progress:
        if not self.quiet:
            wide = None if sys.stderr.isatty() else 200  # a CI log: do not fold the table
            self.live = Live(
                console=Console(stderr=True, width=wide),
                auto_refresh=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self.live.start()
        return self

    def update(self, view: PipelineView) -> None:
        self.run_id = view.run_id
        if self.live is not None:
            self.live.update(steps_table(view, live=True), refresh=True)

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()
            if not self.live.console.is_terminal:  # there Live leaves its last line open
                self.live.console.line()
