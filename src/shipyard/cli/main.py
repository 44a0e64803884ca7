"""Entry point and the CLI's one error boundary.

A user mistake (``UserError``) prints one line and exits 2; a failure prints
one line and exits 1. ``--debug`` (or ``SHIPYARD_DEBUG=1``) shows tracebacks.
"""

from __future__ import annotations

import os
import sys

import typer

from shipyard.cli import (
    assets,
    datasets,
    evals,
    experiments,
    gates,
    gateway,
    keys,
    lineage,
    models,
    pipelines,
    predict,
    prompts,
    runs,
    serve,
    serve_model,
    storage,
    traces,
)
from shipyard.core.errors import ShipyardError, UserError
from shipyard.core.version import __version__

app = typer.Typer(
    name="shipyard",
    help="shipyard: track, version, serve and monitor ML models and LLM apps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(experiments.app, name="experiments")
app.add_typer(runs.app, name="runs")
app.add_typer(assets.app, name="assets")
app.add_typer(datasets.app, name="datasets")
app.add_typer(models.app, name="models")
app.add_typer(prompts.app, name="prompts")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(traces.app, name="traces")
app.add_typer(keys.app, name="keys")
app.add_typer(evals.app, name="eval")
app.add_typer(gates.app, name="gate")
lineage.register(app)
serve.register(app)
serve_model.register(app)
storage.register(app)
predict.register(app)
gateway.register(app)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shipyard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    _state["debug"] = debug or os.environ.get("SHIPYARD_DEBUG") == "1"


def main(argv: list[str] | None = None) -> int:
    from rich.markup import escape

    from shipyard.cli.output import err

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="shipyard", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0))
    except typer.Abort:
        err.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors: Typer prints them like click does
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc}")
        return int(getattr(exc, "exit_code", 2))
    except ShipyardError as exc:
        if _state["debug"]:
            raise
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        return 2 if isinstance(exc, UserError) else 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def run() -> None:
    sys.exit(main())
