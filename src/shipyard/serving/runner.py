"""Running a model server in this process with uvicorn (uvloop and httptools when installed)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import FrameType
from typing import Any

from shipyard.core.listening import bind, fast_server_options
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
        with _clean_exit_on_signals():
            server.run(sockets=[sock])
    finally:
        sock.close()


@contextlib.contextmanager
def _clean_exit_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM end a server normally (exit 0, as a container stop expects).

    uvicorn shuts down gracefully on them and then re-raises the signal through
    the handler it found installed; with this one in place that is a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _already_handled) for sig in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _already_handled(_sig: int, _frame: FrameType | None) -> None:
    return None
