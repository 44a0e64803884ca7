"""The limits of a virtual key: requests and tokens per minute, a budget per period.

Before a call, ``Limiter.admit`` counts the request and refuses (``RateLimited``,
HTTP 429) if the key is over its requests per minute, has already used its
tokens for this minute, or has already spent its budget for this period; the
message names the limit, the numbers and when it resets. After the call,
``Limiter.charge`` adds the tokens and the cost.

The request count is exact, even across replicas: it is incremented
atomically before the comparison, and a refused request gives its count
back. Tokens and cost are known only after a call, so calls already in flight
when a key reaches its token or budget limit still finish: a key can end a
window slightly over (by what those calls used), never by a new call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.core.clock import now_ms
from shipyard.core.errors import RateLimited
from shipyard.llm.key_records import VirtualKey
from shipyard.llm.limits.counters import Counters, Increment
from shipyard.llm.limits.windows import Window, budget_window, describe_reset, minute_window


@dataclass(frozen=True)
class KeyUsage:
    """What a key used in its current windows. None where the key has no such limit.

    Only limited quantities are counted (a key without a budget has no spend
    counter; its spending is in the traces).
    """

    spent_usd: float | None
    budget_resets_at: int | None
    """When the budget window ends (ms); None without a budget or for a total one."""
    requests_this_minute: int | None
    tokens_this_minute: int | None
    budget_usd: float | None = None
    budget_period: str | None = None
    rpm: int | None = None
    tpm: int | None = None

    @property
    def remaining_usd(self) -> float | None:
        if self.budget_usd is None or self.spent_usd is None:
            return None
        return max(0.0, self.budget_usd - self.spent_usd)

    def to_dict(self) -> dict[str, Any]:
        return {
            "spent_usd": self.spent_usd,
            "budget_resets_at": self.budget_resets_at,
            "requests_this_minute": self.requests_this_minute,
            "tokens_this_minute": self.tokens_this_minute,
            "budget_usd": self.budget_usd,
            "budget_period": self.budget_period,
            "remaining_usd": self.remaining_usd,
            "rpm": self.rpm,
            "tpm": self.tpm,
        }


def scopes(key: VirtualKey) -> tuple[str, str, str]:
    """The counter names of a key: requests, tokens, dollars."""
    return f"key:{key.id}:req", f"key:{key.id}:tok", f"key:{key.id}:usd"


def has_limits(key: VirtualKey) -> bool:
    return key.rpm is not None or key.tpm is not None or key.budget_usd is not None


class Limiter:
    """Checks and charges the limits of virtual keys against one set of counters."""

    def __init__(self, counters: Counters, *, clock: Callable[[], int] = now_ms) -> None:
        self.counters = counters
        self.clock = clock

    def admit(self, key: VirtualKey) -> KeyUsage:
        """Count one request for ``key``, or refuse it with ``RateLimited``; the usage so far."""
        now = self.clock()
        minute = minute_window(now)
        budget = budget_window(key.budget_period, now) if key.budget_usd is not None else None
        req, tok, usd = scopes(key)
        reads: list[tuple[str, int, int]] = []
        if key.tpm is not None:
            reads.append((tok, minute.start, minute.length_ms))
        if budget is not None:
            reads.append((usd, budget.start, budget.length_ms))
        requests: float | None = None
        if key.rpm is not None:
            # count first, then compare: atomic across processes; adding 0 reads the others
            incs: list[Increment] = [(req, minute.start, minute.length_ms, 1.0)]
            incs += [(scope, start, length, 0.0) for scope, start, length in reads]
            values = self.counters.add_many(incs)
            requests, values = values[0], values[1:]
        else:
            values = self.counters.get_many([(scope, start) for scope, start, _ in reads])
        found = dict(zip((r[0] for r in reads), values, strict=True))
        usage = KeyUsage(
            spent_usd=found.get(usd),
            budget_resets_at=None if budget is None else budget.end,
            requests_this_minute=None if requests is None else int(requests),
            tokens_this_minute=None if tok not in found else int(found[tok]),
            budget_usd=key.budget_usd,
            budget_period=key.budget_period if budget is not None else None,
            rpm=key.rpm,
            tpm=key.tpm,
        )
        refusal = _refusal(key, usage, minute, budget, now)
        if refusal is not None:
            if requests is not None:  # a refused request does not use the allowance
                self.counters.add(req, minute.start, minute.length_ms, -1.0)
            raise refusal
        return usage

    def charge(self, key: VirtualKey, *, tokens: int, cost_usd: float) -> None:
        """Add what a finished call used to the key's token and budget windows."""
        now = self.clock()
        _, tok, usd = scopes(key)
        incs: list[Increment] = []
        if key.tpm is not None and tokens > 0:
            minute = minute_window(now)
            incs.append((tok, minute.start, minute.length_ms, float(tokens)))
        if key.budget_usd is not None and cost_usd > 0:
            budget = budget_window(key.budget_period, now)
            incs.append((usd, budget.start, budget.length_ms, float(cost_usd)))
        if incs:
            self.counters.add_many(incs)

    def usage(self, key: VirtualKey) -> KeyUsage:
        """The key's counters now, without counting a request."""
        now = self.clock()
        minute = minute_window(now)
        budget = budget_window(key.budget_period, now) if key.budget_usd is not None else None
        req, tok, usd = scopes(key)
        wanted: list[tuple[str, int]] = []
        if key.rpm is not None:
            wanted.append((req, minute.start))
        if key.tpm is not None:
            wanted.append((tok, minute.start))
        if budget is not None:
            wanted.append((usd, budget.start))
        found = dict(zip((w[0] for w in wanted), self.counters.get_many(wanted), strict=True))
        return KeyUsage(
            spent_usd=found.get(usd),
            budget_resets_at=None if budget is None else budget.end,
            requests_this_minute=None if req not in found else int(found[req]),
            tokens_this_minute=None if tok not in found else int(found[tok]),
            budget_usd=key.budget_usd,
            budget_period=key.budget_period if budget is not None else None,
            rpm=key.rpm,
            tpm=key.tpm,
        )


def _refusal(
    key: VirtualKey, usage: KeyUsage, minute: Window, budget: Window | None, now: int
) -> RateLimited | None:
    """The error for the first limit the key is over, the one that lasts longest first."""
    who = f"key {key.name!r}"
    spent, tokens, requests = usage.spent_usd, usage.tokens_this_minute, usage.requests_this_minute
    if budget is not None and key.budget_usd is not None and spent is not None:
        if spent >= key.budget_usd and budget.end is None:
            return RateLimited(
                f"{who} has spent its total budget of {usd(key.budget_usd)} "
                f"(spent {usd(spent)}); it does not reset: create a new key "
                "with `shipyard keys create`"
            )
        if spent >= key.budget_usd:
            return RateLimited(
                f"{who} is over its budget of {usd(key.budget_usd)}/{key.budget_period} "
                f"(spent {usd(spent)}); {describe_reset(budget, now)}",
                retry_after_s=budget.seconds_left(now),
            )
    retry = minute.seconds_left(now)
    if key.tpm is not None and tokens is not None and tokens >= key.tpm:
        return RateLimited(
            f"{who} is over its limit of {key.tpm:,} tokens/minute "
            f"(used {tokens:,}); retry in {retry:.0f} s",
            retry_after_s=retry,
        )
    if key.rpm is not None and requests is not None and requests > key.rpm:
        return RateLimited(
            f"{who} is over its limit of {key.rpm:,} requests/minute; retry in {retry:.0f} s",
            retry_after_s=retry,
        )
    return None


def usd(amount: float) -> str:
    """Dollars as people read them: ``$10.00``, and ``$0.0004`` for fractions of a cent."""
    if amount == 0 or abs(amount) >= 0.01:
        return f"${amount:,.2f}"
    return f"${amount:.2g}"
