"""Choosing the route of each request by weight: at random, or sticky by a routing key."""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Sequence


class TrafficSplit:
    """Spreads requests over labels in proportion to their weights.

    Without a key each request draws at random. With a key (the
    ``x-shipyard-route-key`` header: a user or session id) the same key always
    lands on the same label while the weights stay the same.
    """

    def __init__(self, labels: Sequence[str], weights: Sequence[float]) -> None:
        if len(labels) != len(weights) or not labels:
            raise ValueError("one weight per label, at least one label")
        self.labels = tuple(labels)
        self.total = float(sum(weights))
        running, bounds = 0.0, []
        for w in weights:
            running += w
            bounds.append(running)
        self.bounds = bounds
        self._random = random.Random()

    def choose(self, key: str | None = None) -> str:
        if len(self.labels) == 1:
            return self.labels[0]
        if key:
            digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
            point = int.from_bytes(digest, "big") / 2**64 * self.total
        else:
            point = self._random.random() * self.total
        return self.labels[min(bisect.bisect_right(self.bounds, point), len(self.labels) - 1)]
