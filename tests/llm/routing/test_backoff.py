"""Backoff: exponential with jitter, capped; Retry-After honoured only when short enough."""

from __future__ import annotations

import random

import pytest

from shipyard.llm.routing.backoff import backoff_delay


def test_grows_exponentially_within_jitter_bounds_and_is_capped() -> None:
    rng = random.Random(1)
    for retry, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (6, 2.0), (20, 2.0)]:
        delays = [backoff_delay(retry, base_s=0.1, max_s=2.0, rng=rng) for _ in range(200)]
        assert all(d is not None and ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered, not one fixed value


def test_retry_after_within_the_cap_is_used_exactly() -> None:
    rng = random.Random(1)
    assert backoff_delay(1, base_s=0.1, max_s=2.0, rng=rng, retry_after_s=1.5) == 1.5
    assert backoff_delay(3, base_s=0.1, max_s=2.0, rng=rng, retry_after_s=0.0) == 0.0


def test_retry_after_longer_than_the_cap_means_do_not_wait_here() -> None:
    rng = random.Random(1)
    assert backoff_delay(1, base_s=0.1, max_s=2.0, rng=rng, retry_after_s=30) is None


def test_zero_backoff_means_no_wait() -> None:
    assert backoff_delay(3, base_s=0.0, max_s=2.0, rng=random.Random()) == 0.0


def test_retry_numbers_start_at_one() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0, base_s=0.1, max_s=1.0, rng=random.Random())
