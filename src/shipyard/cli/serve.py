"""``shipyard server``, ``shipyard ui`` and ``shipyard demo``: run the web app."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from shipyard.cli import output
from shipyard.core.errors import InvalidInput

DEFAULT_PORT = 8765


def register(app: typer.Typer) -> None:
    app.command("server")(server)
    app.command("ui")(ui)
    app.command("demo")(demo)


def serve(
    host: str,
    port: int,
    token: str | None,
    open_browser: bool = False,
    gateway_config: Path | None = None,
) -> None:
    """Serve the local workspace's REST API and UI (and the LLM gateway) until interrupted."""
    import uvicorn

    from shipyard.server.app import create_app
    from shipyard.workspace import current_workspace

    ws = current_workspace()
    if ws.settings.is_remote:
        raise InvalidInput(
            "SHIPYARD_URI is set, so this shell talks to a server already; "
            "unset it to serve a local store"
        )
    gateway = None
    if gateway_config is not None:
        from shipyard.llm.config import GatewayConfig

        gateway = GatewayConfig.load(gateway_config)
    app = create_app(ws, token=token, gateway=gateway)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    output.err.print(
        f"shipyard serving [bold]{ws.location}[/] at [bold cyan]{url}[/] (Ctrl-C to stop)"
    )
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url + "ui/",)).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except OSError as exc:  # pragma: no cover - depends on the machine
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    finally:
        if gateway is not None:
            app.state.gateway.close()  # stages closed, buffered traces written


def server(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0 for a team)."),
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p"),
    token: str = typer.Option(
        None, "--token", envvar="SHIPYARD_SERVER_TOKEN", help="Require this bearer token."
    ),
    gateway_config: Path = typer.Option(
        None,
        "--gateway-config",
        envvar="SHIPYARD_GATEWAY_CONFIG",
        help="Also serve the OpenAI-compatible LLM gateway at /v1 with this YAML config "
        "(its calls are authorized by virtual keys, not --token).",
    ),
) -> None:
    """Serve this store over REST (and the web UI) for a team: clients set SHIPYARD_URI."""
    serve(host, port, token, gateway_config=gateway_config)


def ui(
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p"),
    browser: bool = typer.Option(True, "--browser/--no-browser", help="Open a web browser."),
) -> None:
    """Open the web UI on this machine."""
    serve("127.0.0.1", port, None, open_browser=browser and bool(os.environ.get("DISPLAY")))


def demo(
    serve_ui: bool = typer.Option(
        True, "--serve/--no-serve", help="Keep the web UI up afterwards."
    ),
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p"),
) -> None:
    """Train models, run a pipeline, call the local LLM, evaluate the seed example; open the UI."""
    from shipyard.demo import run_credit_pipeline, run_demo

    result = run_demo()
    output.table(
        "demo runs (best first)",
        ["run", "model", "accuracy", "f1", "auc"],
        [(r["name"], r["model"], r["accuracy"], r["f1"], r["auc"]) for r in result.runs],
    )
    output.err.print(
        f"registered {result.dataset} and {result.model} (alias [bold]champion[/]); "
        f"try: shipyard lineage {result.model} --up"
    )
    credit = run_credit_pipeline()
    output.table(
        f"credit pipeline {credit.run_id[:8]}",
        ["step", "status"],
        credit.steps,
    )
    scores = ", ".join(f"{k} {v:.3f}" for k, v in credit.metrics.items())
    output.err.print(
        f"registered {credit.model} ({scores}), alias [bold]production[/]; "
        f"try: shipyard serve model:credit@production --port 8080"
    )
    from shipyard.demo import run_gateway_demo
    from shipyard.workspace import current_workspace

    output.err.print("sending few-shot questions through the LLM gateway to the local model…")
    calls = run_gateway_demo(current_workspace())
    output.table(
        "LLM gateway: alias 'capitals' (dead upstream first, then the local model)",
        [
            "question",
            "status",
            "answer",
            "served by",
            "attempts",
            "cache",
            "tokens",
            "cost $",
            "ms",
        ],
        [
            (
                c.question,
                c.status,
                c.answer if c.status == 200 else c.answer[:70],
                c.target,
                c.attempts,
                c.cache,
                c.tokens,
                f"{c.cost_usd:.4f}",
                f"{c.latency_ms:.0f}",
            )
            for c in calls
        ],
    )
    output.err.print(
        "the first calls fell back after the dead upstream failed (then its circuit opened), "
        "a repeated question came from the cache, and the key was refused once its budget was "
        "spent; try: shipyard traces list"
    )
    from shipyard.cli.evals import print_report
    from shipyard.demo import run_sentiment_demo

    output.err.print(
        "sentiment both ways: a TF-IDF classifier and a few-shot prompt on the local model, "
        "evaluated on the same 240 reviews…"
    )
    both = run_sentiment_demo()
    print_report(both.report)
    output.err.print(
        f"the seed example's table, measured; in the UI: /ui/evals/report?runs={','.join(both.runs)}"
        f"; try: shipyard eval compare {both.runs[0][:8]} {both.runs[1][:8]}"
    )
    if serve_ui:
        serve("127.0.0.1", port, None)
    else:
        output.err.print("run [bold]shipyard ui[/] to browse the runs")
