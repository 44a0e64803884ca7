"""``shipyard gateway``: the OpenAI-compatible LLM gateway over HTTP."""

from __future__ import annotations

from pathlib import Path

import typer

from shipyard.cli import output


def register(app: typer.Typer) -> None:
    app.command("gateway")(gateway)


def gateway(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        envvar="SHIPYARD_GATEWAY_CONFIG",
        help="Gateway YAML: model aliases, routing, cache, keys, limits "
        "(default: no aliases, every provider/model name, the local model).",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0 for all)."),
    port: int = typer.Option(4000, "--port", "-p", help="Port to listen on (0: any free port)."),
    workers: int = typer.Option(
        1, "--workers", "-w", help="Worker processes (each reads --config again)."
    ),
    threads: int = typer.Option(
        256,
        "--threads",
        help="Calls in flight at once per worker (each holds a thread while its upstream answers).",
    ),
) -> None:
    """Serve /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models for OpenAI clients."""
    from shipyard.llm.gateway.runner import load_config, run_gateway

    loaded = load_config(config)  # one line and exit 2 for a bad file, before anything starts

    def announce(url: str) -> None:
        aliases = ", ".join(loaded.models) or "none"
        output.err.print(
            f"shipyard gateway at [bold cyan]{url}[/] (aliases: {aliases}; default model "
            f"{loaded.default_model}; keys {'required' if loaded.auth.require_key else 'optional'})"
            " (Ctrl-C to stop)",
            highlight=False,
        )

    run_gateway(
        config if workers > 1 else loaded, host, port, workers, threads=threads, on_ready=announce
    )
