"""Running the gateway with uvicorn (uvloop and httptools when installed), one or more workers.

The port is bound and the config checked before serving starts, so a busy
port or a bad config is one clear error, not a server that never answers.
Several workers are separate processes (uvicorn's supervisor): each builds
its own app from the config *file* (``SHIPYARD_GATEWAY_CONFIG``) and the
workspace the environment names; budgets and rate limits are then shared
through the store (or Redis), and the kernel spreads connections over them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.core.listening import bind, clean_exit_on_signals, fast_server_options
from shipyard.llm.config import GatewayConfig
from shipyard.workspace import Workspace

CONFIG_ENV = "SHIPYARD_GATEWAY_CONFIG"
THREADS_ENV = "SHIPYARD_GATEWAY_THREADS"


def load_config(config: GatewayConfig | str | Path | None) -> GatewayConfig:
    """A config object, or one read from a YAML path, or ``SHIPYARD_GATEWAY_CONFIG``, or the default."""
    if isinstance(config, GatewayConfig):
        return config
    path = config or os.environ.get(CONFIG_ENV)
    return GatewayConfig.load(path) if path else GatewayConfig()


def run_gateway(
    config: GatewayConfig | str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 4000,
    workers: int = 1,
    *,
    threads: int | None = None,
    workspace: Workspace | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the gateway until interrupted (Ctrl-C or SIGTERM end it cleanly, traces flushed).

    ``config`` is a ``GatewayConfig``, a YAML path, or None (``SHIPYARD_GATEWAY_CONFIG``,
    else no aliases and the local model). ``workers > 1`` needs a path (or None): each
    worker process reads it again. ``on_ready(url)`` is called just before serving.
    """
    import uvicorn

    from shipyard.llm.gateway.app import THREADS, create_gateway_app

    if workers < 1:
        raise InvalidInput(f"--workers must be at least 1, got {workers}")
    if threads is not None and threads < 1:
        raise InvalidInput(f"--threads must be at least 1, got {threads}")
    if workers > 1 and isinstance(config, GatewayConfig):
        raise InvalidInput("several workers read the config from a file: pass its path")
    loaded = load_config(config)  # a bad file fails here, before the port is taken
    sock = bind(host, port)
    try:
        port = sock.getsockname()[1]
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_level": "warning",
            "access_log": False,
            "server_header": False,
            # the gateway never looks at client addresses: no X-Forwarded-For rewriting per request
            "proxy_headers": False,
            "lifespan": "on",
            "timeout_graceful_shutdown": 10,
            **fast_server_options(),
        }
        if workers == 1:
            app = create_gateway_app(loaded, workspace, threads=threads or THREADS)
            server = uvicorn.Server(uvicorn.Config(app, **options))
            if on_ready is not None:
                on_ready(_url(host, port))
            with clean_exit_on_signals():
                server.run(sockets=[sock])
            return
        if config is not None:
            os.environ[CONFIG_ENV] = str(Path(str(config)).resolve())
        if threads is not None:
            os.environ[THREADS_ENV] = str(threads)
        ucfg = uvicorn.Config(
            "shipyard.llm.gateway.runner:app_from_environment",
            factory=True,
            workers=workers,
            **options,
        )
        if on_ready is not None:
            on_ready(_url(host, port))
        from uvicorn.supervisors import Multiprocess

        with clean_exit_on_signals():
            Multiprocess(ucfg, sockets=[sock]).run()
    finally:
        sock.close()


def app_from_environment() -> Any:
    """The app of one worker process: config from ``SHIPYARD_GATEWAY_CONFIG``, workspace from env."""
    from shipyard.llm.gateway.app import THREADS, create_gateway_app

    threads = int(os.environ.get(THREADS_ENV) or THREADS)
    return create_gateway_app(load_config(None), threads=threads)


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/v1"
