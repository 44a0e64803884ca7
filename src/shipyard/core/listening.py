"""Listening sockets and uvicorn options shared by the servers shipyard starts (models, gateway)."""

from __future__ import annotations

import contextlib
import importlib.util
import signal
import socket
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from shipyard.core.errors import InvalidInput


def fast_server_options() -> dict[str, Any]:
    """uvicorn's event loop and HTTP parser: the fast ones when they are installed."""
    options: dict[str, Any] = {}
    if importlib.util.find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = "httptools"
    return options


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port), or a clear error.

    Bound before the workers start, so a taken port is one readable line and
    several uvicorn workers can share the socket.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another --port"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def clean_exit_on_signals() -> Iterator[None]:
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
