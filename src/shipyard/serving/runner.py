"""Running a model server in this process with uvicorn (uvloop and httptools when installed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from shipyard.core.listening import bind, clean_exit_on_signals, fast_server_options
from shipyard.serving.config import ServeConfig
from shipyard.workspace import Workspace


def run_model_server(
    config: ServeConfig,
    workspace: Workspace | None = None,
    *,
    on_ready: Callable[[ServeConfig, Any], None] | None = None,
) -> None:
    """Serve ``config.source`` until interrupted (Ctrl-C or SIGTERM shut it down cleanly).

    The port is bound and the models loaded before serving starts, so a bad
    SOURCE or a busy port is an error here, not a server that never answers.
    ``on_ready(config, app)`` is called just before serving (the CLI prints the URL).
    """
    import uvicorn

    from shipyard.serving.app import create_model_app

    sock = bind(config.host, config.port)
    try:
        config = replace(config, port=sock.getsockname()[1])
        app = create_model_app(config, workspace, preload=True)
        if on_ready is not None:
            on_ready(config, app)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=config.host,
                port=config.port,
                log_level="warning",
                access_log=False,
                server_header=False,
                lifespan="on",
                timeout_graceful_shutdown=10,
                **fast_server_options(),
            )
        )
        with clean_exit_on_signals():
            server.run(sockets=[sock])
    finally:
        sock.close()
