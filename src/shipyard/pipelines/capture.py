"""Capture everything a step prints, at the file-descriptor level, into one log file.

Redirecting descriptors 1 and 2 (not only ``sys.stdout``) also catches what C
extensions and subprocesses write. ``sys.stdout`` and ``sys.stderr`` are
replaced by fresh line-buffered streams for the duration: in a forked worker
the inherited stream objects may hold the parent's buffered bytes or a lock a
parent thread held at fork time.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def captured_output(path: Path) -> Iterator[None]:
    """Send stdout and stderr (descriptors and Python streams) to ``path`` inside the block."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = (os.dup(1), os.dup(2))
    old_streams = (sys.stdout, sys.stderr)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdout = _stream(1)
        sys.stderr = _stream(2)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = old_streams
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log):
            os.close(fd)


def _stream(fd: int) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
        write_through=True,
    )


def read_log(path: Path, limit: int = 4 << 20) -> str:
    """The log's text, keeping only its last ``limit`` bytes when it is longer."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return ""
    with path.open("rb") as fh:
        if size > limit:
            fh.seek(size - limit)
            head = f"[… first {size - limit:,} bytes of the log dropped …]\n"
            return head + fh.read().decode("utf-8", "replace")
        return fh.read().decode("utf-8", "replace")
