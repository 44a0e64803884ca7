"""Warnings a running server prints to stderr, at most once per kind every few seconds.

A store that is down fails every log write; one line per interval (with how
many were held back) tells the operator without flooding the terminal.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class RateLimitedWarnings:
    """``warn(kind, message)`` prints ``message`` unless ``kind`` was printed recently."""

    def __init__(self, every_seconds: float = 10.0, stream: TextIO | None = None) -> None:
        self.every = every_seconds
        self.stream = stream
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def warn(self, kind: str, message: str) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.every:
                self._held[kind] = self._held.get(kind, 0) + 1
                return
            self._last[kind] = now
            held = self._held.pop(kind, 0)
        more = f" ({held} more like this since the last one)" if held else ""
        stream = self.stream or sys.stderr
        try:
            stream.write(f"shipyard serve: warning: {message}{more}\n")
            stream.flush()
        except (OSError, ValueError):  # a closed stderr must not break serving
            pass
