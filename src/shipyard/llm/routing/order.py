"""The order in which a route's targets are tried: one picked by weight, then the rest in order.

The weighted first pick spreads load across equivalent targets (three keys of
one provider, two regions); the fixed order after it is the fallback chain
the config spells out. Targets whose breaker is open cannot be picked first,
so a failing target does not take its share of first tries while it cools
down; it stays in the fallback chain, where the router skips it if its
breaker is still open when its turn comes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from shipyard.llm.config import TargetConfig


def pick_first(
    targets: Sequence[TargetConfig], available: Sequence[bool], rng: random.Random
) -> int | None:
    """Index of the first target: random by weight among the available ones with weight > 0.

    When every available target has weight 0, the first available one in
    config order; None when none is available.
    """
    candidates = [i for i, t in enumerate(targets) if available[i] and t.weight > 0]
    if not candidates:
        return next((i for i, ok in enumerate(available) if ok), None)
    if len(candidates) == 1:
        return candidates[0]
    total = sum(targets[i].weight for i in candidates)
    point = rng.random() * total
    for i in candidates:
        point -= targets[i].weight
        if point < 0:
            return i
    return candidates[-1]  # float rounding at the very top of the range


def attempt_order(
    targets: Sequence[TargetConfig], available: Sequence[bool], rng: random.Random
) -> list[TargetConfig]:
    """Every target once: the weighted first pick, then the others in config order."""
    if len(targets) != len(available):
        raise ValueError("one availability flag per target")
    first = pick_first(targets, available, rng)
    if first is None:
        return list(targets)
    return [targets[first], *(t for i, t in enumerate(targets) if i != first)]
