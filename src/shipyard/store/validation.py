"""Limits on what may be stored, checked by every store so a server enforces them too."""

from __future__ import annotations

import numbers
import posixpath
import unicodedata

from shipyard.core.errors import InvalidInput

MAX_KEY = 250
MAX_VALUE = 8000
MAX_NAME = 255


def check_key(kind: str, key: object) -> str:
    """Keys are non-empty text of at most 250 characters without control characters."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidInput(f"{kind} names must be non-empty text, got {key!r}")
    if len(key) > MAX_KEY:
        raise InvalidInput(
            f"{kind} name {key[:40]!r}… is {len(key)} characters; the limit is {MAX_KEY}"
        )
    if any(unicodedata.category(ch) == "Cc" for ch in key):
        raise InvalidInput(f"{kind} name {key!r} contains a control character")
    return key


def check_text(kind: str, key: str, value: str) -> str:
    if len(value) > MAX_VALUE:
        raise InvalidInput(
            f"{kind} {key!r} is {len(value):,} characters; the limit is {MAX_VALUE:,}. "
            "Log long text as an artifact instead"
        )
    return value


def check_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"{kind} names must be non-empty text, got {name!r}")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"{kind} name is {len(name)} characters; the limit is {MAX_NAME}")
    return name


def check_metric_value(key: str, value: object) -> float:
    """Real numbers only; NaN and infinities are kept as they are (a diverged loss is data)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(f"metric {key!r} must be a number, got {type(value).__name__} {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise InvalidInput(f"metric {key!r} is too large for a 64-bit float") from None


def check_step(key: str, step: object) -> int:
    if isinstance(step, bool) or not isinstance(step, int):
        raise InvalidInput(f"metric {key!r}: step must be an integer, got {step!r}")
    if not -(2**63) <= step < 2**63:
        raise InvalidInput(f"metric {key!r}: step {step} does not fit in 64 bits")
    return step


def check_timestamp(key: str, timestamp: object) -> int:
    """Milliseconds since the epoch, as an integer that fits in 64 bits."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise InvalidInput(
            f"metric {key!r}: timestamp must be an integer (milliseconds since the epoch), "
            f"got {timestamp!r}"
        )
    if not -(2**63) <= timestamp < 2**63:
        raise InvalidInput(f"metric {key!r}: timestamp {timestamp} does not fit in 64 bits")
    return timestamp


def check_artifact_path(path: str) -> str:
    """A relative POSIX path inside the run; ``..``, absolute paths and drive letters are refused."""
    if not isinstance(path, str) or not path.strip():
        raise InvalidInput("artifact paths must be non-empty text")
    cleaned = path.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise InvalidInput(f"artifact path {path!r} must be relative to the run")
    parts = cleaned.split("/")
    if ".." in parts:
        raise InvalidInput(f"artifact path {path!r} may not contain '..'")
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise InvalidInput(f"artifact path {path!r} contains a control character")
    normal = posixpath.normpath(cleaned)
    if normal in (".", ""):
        raise InvalidInput(f"artifact path {path!r} names no file")
    if len(normal) > 1024:
        raise InvalidInput("artifact paths are limited to 1,024 characters")
    return normal
