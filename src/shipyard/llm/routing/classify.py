"""What a failed attempt means for routing: retry the target, fall back, or tell the caller.

The rules (documented in docs/llm-routing.md), in the spirit of LiteLLM and
Portkey:

- ``retry``: the provider marked the error retryable (429, 5xx, a timeout, a
  refused or dropped connection). Retry the same target with backoff, then
  fall back. Counts against the target's breaker.
- ``fallback``: the target itself is unusable for this request but another
  might work: 401/403 (its key is wrong or lacks access), 404 (it does not
  serve that model), a failure with no HTTP status (a local model that would
  not load, an unreadable response) or any unexpected exception. No retry on
  this target; try the next. Counts against the breaker.
- ``caller``: the request is wrong and would be wrong anywhere: 400, 413,
  422 and other 4xx from the upstream, or a ``UserError`` the provider
  raised itself. Returned to the caller at once, no retry, no fallback; it
  counts as a *success* for the breaker, since the target answered.
"""

from __future__ import annotations

from typing import Literal

from shipyard.core.errors import ProviderError, UserError

FailureKind = Literal["retry", "fallback", "caller"]

TARGET_STATUSES = frozenset({401, 403, 404})
"""Upstream 4xx statuses that say something about the target, not the request."""


def classify(exc: BaseException) -> FailureKind:
    """Sort a provider's exception into retry, fallback or caller (see the module docstring)."""
    if isinstance(exc, ProviderError):
        if exc.retryable:
            return "retry"
        status = exc.upstream_status
        if status is None or status in TARGET_STATUSES or status >= 500:
            return "fallback"
        if 400 <= status < 500:
            return "caller"
        return "fallback"
    if isinstance(exc, UserError):
        return "caller"
    return "fallback"


def retry_after_s(exc: BaseException) -> float | None:
    """The provider's ``Retry-After`` in seconds, when its error carried one."""
    value = getattr(exc, "retry_after_s", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def upstream_status(exc: BaseException) -> int | None:
    status = getattr(exc, "upstream_status", None)
    return status if isinstance(status, int) else None


def error_type(exc: BaseException) -> str:
    """``error.type`` for a span: the upstream status when there was one, else the class name."""
    status = upstream_status(exc)
    if status is not None:
        return str(status)
    if isinstance(exc, ProviderError) and exc.status == 504:
        return "timeout"
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return "timeout"
    return type(exc).__name__
