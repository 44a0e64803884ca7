"""How evaluation numbers and values read on a page: by what the metric measures.

Latencies read as ``12.3 ms``, costs as dollars, counts as whole numbers and
scores with four decimals; a case's inputs and outputs as short JSON. The
templates call these as ``ev.value(name, x)`` and so on.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote

from shipyard.core.errors import InvalidInput
from shipyard.core.refs import KINDS, parse_ref
from shipyard.server.pages.traces import count, ms, usd

DASH = "—"
COUNTS = frozenset({"cases", "errors", "prompt_tokens", "completion_tokens"})
VERDICT_TEXT = {
    "significantly_better": "significantly better",
    "significantly_worse": "significantly worse",
    "inconclusive": "inconclusive",
}
SHORT = 120


def value(name: str, x: float | None) -> str:
    """A metric value as people read it, by the metric's name."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    if name.endswith("latency_ms"):
        return ms(x)
    if name.startswith("cost"):
        return usd(x)
    if name in COUNTS:
        return count(int(x))
    if name == "error_rate":
        return f"{x * 100:.1f}%"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.4f}" if abs(x) < 10_000 else f"{x:.6g}"


def delta(name: str, x: float | None) -> str:
    """A signed difference in the metric's unit (``+0.0250``, ``-3.1 ms``)."""
    if x is None or math.isnan(x):
        return DASH
    sign = "+" if x > 0 else "-" if x < 0 else "±"
    return sign + value(name, abs(x))


def interval(name: str, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return DASH
    return f"[{delta(name, low)}, {delta(name, high)}]"


def p_value(p: float | None) -> str:
    if p is None or math.isnan(p):
        return DASH
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


def p_prefix(p: float | None) -> str:
    """What goes before ``p_value``: ``p =``, or ``p`` when the value reads ``< 0.0001``."""
    return "p" if p_value(p).startswith("<") else "p ="


def p_is(p: float | None) -> str:
    """``p = 0.0123`` or ``p < 0.0001`` (not ``p = < 0.0001``)."""
    return f"{p_prefix(p)} {p_value(p)}"


def verdict(v: str) -> str:
    return VERDICT_TEXT.get(v, v.replace("_", " "))


def short(x: Any, limit: int = SHORT) -> str:
    """A value as compact text: strings as they are, anything else as JSON; cut at ``limit``."""
    text = full(x)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def full(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    return json.dumps(x, ensure_ascii=False, default=str, separators=(", ", ": "))


def inputs(x: Any, limit: int = SHORT) -> str:
    """A case's inputs: ``text: great movie`` for one column, ``a=1, b=2`` for several."""
    if isinstance(x, dict):
        if len(x) == 1:
            return short(next(iter(x.values())), limit)
        return short(", ".join(f"{k}={full(v)}" for k, v in x.items()), limit)
    return short(x, limit)


def asset_url(ref: str | None) -> str | None:
    """The registry page of an asset reference (``model:credit@3``); ``None`` for other targets."""
    if not ref or ref.partition(":")[0] not in KINDS:
        return None
    try:
        parsed = parse_ref(ref)
    except InvalidInput:
        return None
    return f"/ui/assets/{parsed.kind}/{quote(parsed.name)}/{quote(parsed.selector)}"


FORMAT: dict[str, Any] = {
    "value": value,
    "delta": delta,
    "interval": interval,
    "p_value": p_value,
    "p_is": p_is,
    "p_prefix": p_prefix,
    "verdict": verdict,
    "short": short,
    "full": full,
    "inputs": inputs,
    "asset_url": asset_url,
}
"""What the evaluation templates call as ``ev.NAME(...)``."""
