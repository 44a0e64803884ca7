"""Rate limits and budgets of virtual keys: fixed windows over shared atomic counters.

- ``windows``: the UTC calendar windows (minute, hour, day, ISO week, month, total).
- ``counters``: the ``Counters`` protocol and ``open_counters`` (SQL store, or Redis).
- ``policy``: ``Limiter.admit`` before a call, ``Limiter.charge`` after, ``KeyUsage``.
"""

from shipyard.llm.limits.counters import Counters, close_counters, open_counters
from shipyard.llm.limits.policy import KeyUsage, Limiter, has_limits
from shipyard.llm.limits.windows import Window, budget_window, minute_window

__all__ = [
    "Counters",
    "KeyUsage",
    "Limiter",
    "Window",
    "budget_window",
    "close_counters",
    "has_limits",
    "minute_window",
    "open_counters",
]
