"""The target order: a weighted first pick among available targets, then config order."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from shipyard.llm.config import TargetConfig
from shipyard.llm.routing.order import attempt_order, pick_first


def targets(*weights: float) -> list[TargetConfig]:
    return [TargetConfig("openai", f"m{i}", weight=w) for i, w in enumerate(weights)]


def test_first_pick_follows_the_weights() -> None:
    ts = targets(3, 1, 0)
    rng = random.Random(42)
    n = 20_000
    firsts = Counter(pick_first(ts, [True, True, True], rng) for _ in range(n))
    assert firsts[2] == 0  # weight 0: only ever a fallback
    assert firsts[0] / n == pytest.approx(0.75, abs=0.015)
    assert firsts[1] / n == pytest.approx(0.25, abs=0.015)


def test_the_same_seed_gives_the_same_picks() -> None:
    ts = targets(1, 1, 1)
    rng1, rng2 = random.Random(9), random.Random(9)
    assert [pick_first(ts, [True] * 3, rng1) for _ in range(50)] == [
        pick_first(ts, [True] * 3, rng2) for _ in range(50)
    ]


def test_the_rest_follow_in_config_order() -> None:
    ts = targets(0, 0, 1, 0)
    order = attempt_order(ts, [True] * 4, random.Random(0))
    assert [t.model for t in order] == ["m2", "m0", "m1", "m3"]


def test_an_unavailable_target_is_never_picked_first_but_stays_in_the_chain() -> None:
    ts = targets(100, 1)
    rng = random.Random(3)
    for _ in range(200):
        order = attempt_order(ts, [False, True], rng)
        assert [t.model for t in order] == ["m1", "m0"]


def test_all_weights_zero_picks_the_first_available() -> None:
    ts = targets(0, 0, 0)
    assert pick_first(ts, [False, True, True], random.Random()) == 1


def test_nothing_available_keeps_config_order() -> None:
    ts = targets(1, 1)
    assert pick_first(ts, [False, False], random.Random()) is None
    assert attempt_order(ts, [False, False], random.Random()) == ts


def test_one_flag_per_target() -> None:
    with pytest.raises(ValueError):
        attempt_order(targets(1, 1), [True], random.Random())
