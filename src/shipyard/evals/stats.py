"""Paired significance tests and bootstrap intervals for comparing two evaluations.

Both evaluations ran on the same cases, so every test here is paired: case ``i``
of one arm is compared with case ``i`` of the other, which removes the
case-to-case variation that dwarfs most differences between two models.

Everything is seeded, so the same inputs give the same numbers, and resamples
are drawn as index matrices (numpy, in blocks that bound memory) rather than one
Python iteration each. Only a custom ``metric`` callable (an F1 recomputed on
each resample, say) is called once per resample, because it is arbitrary code.
numpy is imported inside the functions: ``import shipyard`` does not pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from shipyard.core.errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

T = TypeVar("T")
# the McNemar test turns exact (binomial) below this many discordant pairs
EXACT_BELOW = 25
# cells of an index or sign matrix drawn at once; bounds memory for large evaluations
_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class TestResult:
    """The outcome of a significance test: its statistic, two-sided p-value and method."""

    __test__ = False  # not a pytest test class, despite the name

    statistic: float
    p_value: float
    method: str
    n: int
    details: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Interval:
    """A bootstrap estimate with its percentile confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PairedBootstrap:
    """The paired difference ``b - a``, its percentile interval, and a bootstrap p-value."""

    estimate: float
    low: float
    high: float
    p_value: float
    confidence: float
    n_resamples: int
    method: str = "paired bootstrap"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mcnemar(
    a_correct: Sequence[bool | int | float],
    b_correct: Sequence[bool | int | float],
    *,
    exact: bool | None = None,
) -> TestResult:
    """McNemar's test on paired correct/incorrect outcomes; the same numbers as statsmodels.

    Only discordant pairs carry information: ``a_only`` cases that only ``a`` got
    right and ``b_only`` that only ``b`` got right. With fewer than 25 of them (or
    ``exact=True``) the p-value is the exact two-sided binomial one,
    ``min(1, 2 * P(X <= min(a_only, b_only)))`` with ``X ~ Bin(a_only + b_only, 1/2)``;
    otherwise the chi-square statistic with continuity correction
    ``(|a_only - b_only| - 1)^2 / (a_only + b_only)`` on one degree of freedom, as
    ``statsmodels.stats.contingency_tables.mcnemar(table, exact, correction=True)``.
    """
    a, b = _paired(a_correct, b_correct)
    for name, arm in (("a_correct", a), ("b_correct", b)):
        if any(v not in (0, 1) for v in arm):
            raise InvalidInput(f"mcnemar needs correct/incorrect (0/1) outcomes; {name} has others")
    a_only = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    b_only = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    discordant = a_only + b_only
    details = {"a_only": float(a_only), "b_only": float(b_only), "discordant": float(discordant)}
    if exact is None:
        exact = discordant < EXACT_BELOW
    if exact:
        low = min(a_only, b_only)
        tail = sum(math.comb(discordant, k) for k in range(low + 1)) / 2**discordant
        return TestResult(float(low), min(1.0, 2 * tail), "mcnemar exact", len(a), details)
    if discordant == 0:
        return TestResult(0.0, 1.0, "mcnemar chi-square", len(a), details)
    statistic = (abs(a_only - b_only) - 1) ** 2 / discordant
    # the chi-square survival function with one degree of freedom
    p_value = math.erfc(math.sqrt(statistic / 2))
    return TestResult(statistic, p_value, "mcnemar chi-square", len(a), details)


def paired_bootstrap(
    a_values: Sequence[Any],
    b_values: Sequence[Any],
    metric: Callable[[Sequence[Any], NDArray[np.intp]], float] | None = None,
    *,
    statistic: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedBootstrap:
    """Bootstrap the difference ``b - a`` by resampling cases, the same cases for both arms.

    By default each arm's value is the mean of its per-case numbers (NaN, a case
    without a score, is left out of the mean). ``statistic`` replaces the mean with
    another vectorised row statistic (it receives a ``(resamples, cases)`` matrix
    and returns one number per row: a 95th percentile of latencies, a sum of costs).
    ``metric`` is for numbers that are not per-case at all (an F1): it is called
    as ``metric(arm_values, indices)`` for each arm and resample, where ``indices``
    are the resampled case positions, and must return that arm's number.

    The interval is the percentile interval of the resampled differences. The
    p-value is two-sided: twice the share of resampled differences on the far
    side of zero (``<= 0`` or ``>= 0``, whichever is smaller), capped at 1; it is
    a quick bootstrap p-value, not an exact test (see ``permutation_test``).
    """
    import numpy as np

    _check_resampling(n_resamples, confidence)
    n = _same_length(a_values, b_values)
    if n == 0:
        raise InvalidInput("paired_bootstrap needs at least one pair of values")
    rng = np.random.default_rng(seed)
    if metric is not None:
        everything = np.arange(n)
        estimate = metric(b_values, everything) - metric(a_values, everything)
        parts = [
            np.array([metric(b_values, row) - metric(a_values, row) for row in idx])
            for idx in resample_indices(rng, n, n_resamples)
        ]
    else:
        row_stat = statistic or nanmean_rows
        a = np.asarray(a_values, dtype=np.float64)
        b = np.asarray(b_values, dtype=np.float64)
        estimate = float(row_stat(b[None, :])[0] - row_stat(a[None, :])[0])
        parts = [
            row_stat(b[idx]) - row_stat(a[idx]) for idx in resample_indices(rng, n, n_resamples)
        ]
    deltas = np.concatenate(parts)
    low, high = percentile_interval(deltas, confidence)
    share = min(float(np.mean(deltas <= 0)), float(np.mean(deltas >= 0)))
    return PairedBootstrap(float(estimate), low, high, min(1.0, 2 * share), confidence, n_resamples)


def permutation_test(
    a_values: Sequence[float],
    b_values: Sequence[float],
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> TestResult:
    """Paired sign-flip permutation test of the mean difference ``b - a``.

    Under the null hypothesis the two arms are exchangeable within each case, so
    each difference is as likely negated. When ``2**n`` sign patterns fit in
    ``n_resamples`` they are all enumerated (an exact test); otherwise
    ``n_resamples`` random ones are drawn and the p-value is ``(count + 1) /
    (n_resamples + 1)``. Both match ``scipy.stats.permutation_test`` with
    ``permutation_type='samples'``, including its tolerance for ties.
    """
    import numpy as np

    _check_resampling(n_resamples, 0.5)
    a, b = _paired(a_values, b_values)
    diffs = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    n = diffs.size
    if n == 0:
        raise InvalidInput("permutation_test needs at least one pair of values")
    observed = float(diffs.mean())
    exact = n < 63 and 2**n <= n_resamples
    if exact:
        patterns = np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)
        null = ((patterns & 1) * -2 + 1) @ diffs / n
        blocks = [null]
        used, adjustment = 2**n, 0
    else:
        rng = np.random.default_rng(seed)
        blocks = [
            (rng.integers(0, 2, size=(rows, n)) * -2 + 1) @ diffs / n
            for rows in _block_rows(n, n_resamples)
        ]
        used, adjustment = n_resamples, 1
    null = np.concatenate(blocks)
    gamma = abs(np.finfo(np.float64).eps * 100 * observed)
    less = (np.count_nonzero(null <= observed + gamma) + adjustment) / (used + adjustment)
    greater = (np.count_nonzero(null >= observed - gamma) + adjustment) / (used + adjustment)
    p_value = float(min(1.0, 2 * min(less, greater)))
    method = "sign-flip permutation " + ("exact" if exact else "monte carlo")
    return TestResult(observed, p_value, method, n, {"resamples": float(used)})


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[..., Any] | None = None,
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of ``statistic`` (default: the mean) over ``values``.

    ``statistic`` is vectorised like numpy's reductions: it is called as
    ``statistic(matrix, axis=-1)`` on a ``(resamples, n)`` matrix (``np.median``,
    ``np.mean``...). Matches ``scipy.stats.bootstrap(method='percentile')`` up to
    resampling noise.
    """
    import numpy as np

    _check_resampling(n_resamples, confidence)
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 1 or data.size == 0:
        raise InvalidInput("bootstrap_ci needs a non-empty list of numbers")
    stat = statistic or np.mean
    rng = np.random.default_rng(seed)
    estimate = float(stat(data[None, :], axis=-1)[0])
    parts = [
        np.asarray(stat(data[idx], axis=-1), dtype=np.float64)
        for idx in resample_indices(rng, data.size, n_resamples)
    ]
    low, high = percentile_interval(np.concatenate(parts), confidence)
    return Interval(estimate, low, high, confidence, n_resamples)


def nanmean_rows(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row means that skip NaN (cases without a score); NaN for a row with no number at all."""
    import numpy as np

    present = ~np.isnan(matrix)
    counts = present.sum(axis=1)
    sums = np.where(present, matrix, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def resample_indices(
    rng: np.random.Generator, n: int, n_resamples: int
) -> Iterator[NDArray[np.intp]]:
    """Blocks of resampled case positions, ``n_resamples`` rows of ``n`` in all."""
    for rows in _block_rows(n, n_resamples):
        yield rng.integers(0, n, size=(rows, n))


def _block_rows(n: int, n_resamples: int) -> Iterator[int]:
    step = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n_resamples, step):
        yield min(step, n_resamples - start)


def percentile_interval(deltas: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    """The central ``confidence`` share of resampled values (NaN resamples left out)."""
    import numpy as np

    finite = deltas[~np.isnan(deltas)]
    if finite.size == 0:
        return math.nan, math.nan
    alpha = (1 - confidence) / 2
    low, high = np.percentile(finite, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)


def _check_resampling(n_resamples: int, confidence: float) -> None:
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise InvalidInput(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not 0 < confidence < 1:
        raise InvalidInput(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")


def _same_length(a: Sequence[Any], b: Sequence[Any]) -> int:
    if len(a) != len(b):
        raise InvalidInput(
            f"paired values need the same number of cases; got {len(a)} and {len(b)}"
        )
    return len(a)


def _paired(a: Sequence[T], b: Sequence[T]) -> tuple[list[T], list[T]]:
    _same_length(a, b)
    return list(a), list(b)
