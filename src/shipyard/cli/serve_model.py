"""``shipyard serve`` (a model over REST) and ``shipyard deployments list``."""

from __future__ import annotations

from typing import Any

import typer

from shipyard.cli import output

deployments_app = typer.Typer(
    help="Model servers registered by shipyard serve: where, which versions, which split.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(deployments_app, name="deployments")


def serve(
    source: str = typer.Argument(
        ...,
        help="model:NAME@ALIAS (follows the alias as it moves), model:NAME@3, model:NAME "
        "(with --split), or a local model folder.",
    ),
    split: str = typer.Option(
        None, "--split", help="Traffic weights over aliases, e.g. production=90,challenger=10."
    ),
    shadow: str = typer.Option(
        None, "--shadow", help="Alias that gets a copy of each request; logged, never returned."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0 for all)."),
    port: int = typer.Option(8080, "--port", "-p", help="Port to listen on (0: any free port)."),
    max_batch_size: int = typer.Option(
        64,
        "--max-batch-size",
        help="Most rows in one predict call (a larger request is predicted alone).",
    ),
    max_wait_ms: float = typer.Option(
        0.0,
        "--max-wait-ms",
        help="How long a batch may wait for more requests (0: batches grow only under load).",
    ),
    reload_interval: float = typer.Option(
        2.0, "--reload-interval", help="Seconds between checks for moved aliases."
    ),
    name: str = typer.Option(
        None, "--name", help="Deployment name in the registry (default: the model's name)."
    ),
    no_log: bool = typer.Option(False, "--no-log", help="Do not write the prediction log."),
    trust: bool = typer.Option(
        False, "--trust", help="Allow model files that run code (python-class models)."
    ),
) -> None:
    """Serve a model over REST: POST /predict, GET /health, /metadata, /metrics."""
    from shipyard.serving.config import ServeConfig, parse_split
    from shipyard.serving.runner import run_model_server

    config = ServeConfig(
        source=source,
        split=parse_split(split) if split else None,
        shadow=shadow,
        host=host,
        port=port,
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        reload_interval=reload_interval,
        name=name,
        log_predictions=not no_log,
        trust=trust,
    )
    run_model_server(config, on_ready=_announce)


def _announce(config: Any, app: Any) -> None:
    from shipyard.serving.deployments import server_url

    server = app.state.model_server
    shown = server_url(
        "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host, config.port
    )
    versions = ", ".join(
        f"{label} → v{v}" if v is not None else label for label, v in server.pool.versions().items()
    )
    output.err.print(
        f"shipyard serving [bold]{config.source}[/] ({versions}) as deployment "
        f"[bold]{server.name}[/] at [bold cyan]{shown}/predict[/] (Ctrl-C to stop)",
        highlight=False,
    )


@deployments_app.command("list")
def list_deployments(
    show_all: bool = typer.Option(
        True, "--all/--running", help="Include stopped servers, or only running and lost ones."
    ),
    name: str = typer.Option(None, "--name", help="Only this deployment."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Model servers, newest first: status, URL, versions per alias and traffic split."""
    from shipyard.serving.deployments import list_deployments as listed

    found = listed(name=name, include_stopped=show_all)
    if as_json:
        output.print_json([d.to_dict() for d in found])
        return
    output.table(
        None,
        ["name", "status", "url", "versions", "split", "shadow", "started", "heartbeat"],
        [
            (
                d.name,
                d.status,
                d.url,
                ", ".join(
                    f"{k}=v{v}" if v is not None else k for k, v in sorted(d.versions.items())
                ),
                ", ".join(f"{k}={w:g}" for k, w in d.split.items()),
                d.shadow,
                output.when(d.started_at),
                output.when(d.heartbeat_at),
            )
            for d in found
        ],
    )
