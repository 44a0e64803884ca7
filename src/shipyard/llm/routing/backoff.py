"""How long to wait before retrying a target: exponential backoff with jitter, or Retry-After.

Jitter spreads the retries of many clients that failed together, so they do
not hit a recovering upstream in lockstep. A provider's ``Retry-After`` is
honoured when it fits within ``backoff_max_s``; a longer one means this
target will not recover soon enough, so the router falls back instead of
blocking the caller.
"""

from __future__ import annotations

import random


def backoff_delay(
    retry: int,
    *,
    base_s: float,
    max_s: float,
    rng: random.Random,
    retry_after_s: float | None = None,
) -> float | None:
    """Seconds to sleep before retry number ``retry`` (1 for the first), or None: do not retry.

    Without ``Retry-After`` the delay is "equal jitter": half of
    ``min(max_s, base_s * 2 ** (retry - 1))`` plus a random part up to the
    other half, so it grows exponentially yet never collapses to zero.
    """
    if retry < 1:
        raise ValueError("retry numbers start at 1")
    if retry_after_s is not None:
        if retry_after_s > max_s:
            return None
        return max(0.0, retry_after_s)
    ceiling = min(max_s, base_s * 2.0 ** (retry - 1))
    half = ceiling / 2
    return half + rng.uniform(0.0, half)
