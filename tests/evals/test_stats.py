"""Paired significance tests and bootstrap intervals against scipy (and statsmodels' formulas)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sp

from shipyard.core.errors import InvalidInput
from shipyard.evals.stats import (
    bootstrap_ci,
    mcnemar,
    paired_bootstrap,
    permutation_test,
)


def outcomes(both: int, a_only: int, b_only: int, neither: int) -> tuple[list[int], list[int]]:
    """Paired 0/1 outcomes with the given 2x2 table, shuffled so that order does not matter."""
    pairs = [(1, 1)] * both + [(1, 0)] * a_only + [(0, 1)] * b_only + [(0, 0)] * neither
    order = np.random.default_rng(7).permutation(len(pairs))
    return [pairs[i][0] for i in order], [pairs[i][1] for i in order]


# --- McNemar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a_only", "b_only"), [(0, 0), (0, 7), (3, 9), (9, 3), (5, 5), (12, 12), (1, 23)]
)
def test_mcnemar_exact_is_the_two_sided_binomial_test(a_only: int, b_only: int) -> None:
    a, b = outcomes(40, a_only, b_only, 17)
    result = mcnemar(a, b)
    n = a_only + b_only
    expected = sp.binomtest(min(a_only, b_only), n, 0.5).pvalue if n else 1.0
    assert result.method == "mcnemar exact"
    assert result.statistic == min(a_only, b_only)
    assert result.p_value == pytest.approx(expected, rel=1e-12)
    assert result.n == 40 + a_only + b_only + 17
    assert result.details == {"a_only": a_only, "b_only": b_only, "discordant": n}


@pytest.mark.parametrize(("a_only", "b_only"), [(10, 25), (25, 10), (13, 13), (121, 59), (30, 0)])
def test_mcnemar_chi_square_with_continuity_correction(a_only: int, b_only: int) -> None:
    a, b = outcomes(101, a_only, b_only, 33)
    result = mcnemar(a, b)
    statistic = (abs(a_only - b_only) - 1) ** 2 / (a_only + b_only)
    assert result.method == "mcnemar chi-square"
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.p_value == pytest.approx(sp.chi2.sf(statistic, 1), rel=1e-9)


def test_mcnemar_matches_hand_checked_statsmodels_values() -> None:
    # statsmodels.stats.contingency_tables.mcnemar([[10, 3], [9, 20]], exact=True):
    # statistic = min(3, 9) = 3, pvalue = 2 * P(Bin(12, 1/2) <= 3) = 2 * 299 / 4096
    exact = mcnemar(*outcomes(10, 3, 9, 20))
    assert (exact.statistic, exact.p_value) == (3.0, 598 / 4096)
    # ...([[5, 10], [25, 5]], exact=False, correction=True):
    # statistic = (|10 - 25| - 1)^2 / 35 = 5.6, pvalue = chi2(1).sf(5.6)
    chi = mcnemar(*outcomes(5, 10, 25, 5))
    assert chi.statistic == pytest.approx(5.6)
    assert chi.p_value == pytest.approx(0.01796047752607879, rel=1e-9)
    # the textbook table [[101, 121], [59, 33]]: (|121 - 59| - 1)^2 / 180 = 20.672
    big = mcnemar(*outcomes(101, 121, 59, 33))
    assert big.statistic == pytest.approx(3721 / 180)
    assert big.p_value == pytest.approx(5.450094825427117e-06, rel=1e-9)


def test_mcnemar_switches_to_chi_square_at_25_discordant_pairs_unless_told() -> None:
    assert mcnemar(*outcomes(5, 10, 14, 5)).method == "mcnemar exact"
    assert mcnemar(*outcomes(5, 10, 15, 5)).method == "mcnemar chi-square"
    assert mcnemar(*outcomes(5, 10, 15, 5), exact=True).method == "mcnemar exact"
    forced = mcnemar(*outcomes(5, 3, 9, 5), exact=False)
    assert forced.p_value == pytest.approx(sp.chi2.sf((6 - 1) ** 2 / 12, 1))
    assert mcnemar([1, 0], [1, 0], exact=False).p_value == 1.0


def test_mcnemar_accepts_booleans_and_refuses_other_values() -> None:
    assert mcnemar([True, False, True], [True, True, True]).details["b_only"] == 1
    with pytest.raises(InvalidInput, match="0/1"):
        mcnemar([0.5, 1], [1, 1])
    with pytest.raises(InvalidInput, match="same number of cases"):
        mcnemar([1, 0], [1])


# --- permutation test ------------------------------------------------------------------------


def _scipy_permutation(a: np.ndarray, b: np.ndarray, **kwargs: object) -> float:
    result = sp.permutation_test(
        (a, b),
        lambda x, y, axis: np.mean(y - x, axis=axis),
        permutation_type="samples",
        vectorized=True,
        **kwargs,
    )
    return float(result.pvalue)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_permutation_test_is_exact_like_scipy_for_small_samples(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=11)
    b = a + rng.normal(0.6, 1.0, size=11)
    result = permutation_test(list(a), list(b))
    assert result.method == "sign-flip permutation exact"
    assert result.statistic == pytest.approx(np.mean(b - a))
    assert result.p_value == pytest.approx(_scipy_permutation(a, b), abs=1e-12)


def test_permutation_test_handles_ties_like_scipy() -> None:
    a = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1], dtype=float)
    b = np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 0], dtype=float)
    assert permutation_test(list(a), list(b)).p_value == pytest.approx(
        _scipy_permutation(a, b), abs=1e-12
    )


def test_permutation_test_monte_carlo_agrees_with_scipy_within_noise() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=300)
    b = a + rng.normal(-0.04, 1.0, size=300)
    ours = permutation_test(list(a), list(b), n_resamples=10_000, seed=1)
    reference = _scipy_permutation(a, b, n_resamples=10_000, rng=np.random.default_rng(99))
    assert ours.method == "sign-flip permutation monte carlo"
    assert 0.05 < reference < 0.95  # a p-value in the middle, where noise shows most
    assert ours.p_value == pytest.approx(reference, abs=0.03)
    assert permutation_test(list(a), list(b), seed=1) == ours


def test_permutation_test_of_identical_arms_is_one_and_of_a_clear_gap_tiny() -> None:
    values = [0.1, 0.5, 0.9, 0.3] * 50
    assert permutation_test(values, values).p_value == 1.0
    better = [v + 0.2 for v in values]
    # no random sign pattern reaches the observed gap: twice the smallest p-value, 1 / 10,001
    assert permutation_test(values, better).p_value == pytest.approx(2 / 10_001)


# --- bootstrap -------------------------------------------------------------------------------


@pytest.mark.parametrize("statistic", [np.mean, np.median])
def test_bootstrap_ci_matches_scipy_percentile_interval(statistic: object) -> None:
    values = np.random.default_rng(5).exponential(2.0, size=80)
    ours = bootstrap_ci(list(values), statistic, seed=11)
    reference = sp.bootstrap(
        (values,), statistic, method="percentile", n_resamples=10_000, rng=np.random.default_rng(4)
    ).confidence_interval
    width = reference.high - reference.low
    assert ours.estimate == pytest.approx(statistic(values))  # type: ignore[operator]
    assert ours.low == pytest.approx(reference.low, abs=0.05 * width)
    assert ours.high == pytest.approx(reference.high, abs=0.05 * width)
    assert ours.confidence == 0.95
    assert ours.n_resamples == 10_000


def test_bootstrap_ci_is_seeded_and_checks_its_arguments() -> None:
    values = [1.0, 2.0, 4.0, 8.0, 3.0]
    assert bootstrap_ci(values, seed=1) == bootstrap_ci(values, seed=1)
    assert bootstrap_ci(values, seed=1) != bootstrap_ci(values, seed=2)
    assert bootstrap_ci(values, confidence=0.5).high < bootstrap_ci(values, confidence=0.99).high
    with pytest.raises(InvalidInput, match="confidence"):
        bootstrap_ci(values, confidence=95)
    with pytest.raises(InvalidInput, match="n_resamples"):
        bootstrap_ci(values, n_resamples=0)
    with pytest.raises(InvalidInput, match="non-empty"):
        bootstrap_ci([])


def test_paired_bootstrap_is_the_bootstrap_of_the_differences() -> None:
    rng = np.random.default_rng(8)
    a = rng.normal(size=120)
    b = a + rng.normal(0.3, 1.0, size=120)
    ours = paired_bootstrap(list(a), list(b), seed=2)
    # the same case indices for both arms: mean(b[i]) - mean(a[i]) == mean((b - a)[i])
    assert ours == paired_bootstrap(list(a), list(b), seed=2)
    alone = bootstrap_ci(list(b - a), seed=2)
    assert (ours.low, ours.high) == pytest.approx((alone.low, alone.high))
    reference = sp.bootstrap(
        (b - a,), np.mean, method="percentile", rng=np.random.default_rng(0)
    ).confidence_interval
    assert ours.low == pytest.approx(reference.low, abs=0.03)
    assert ours.high == pytest.approx(reference.high, abs=0.03)
    assert ours.estimate == pytest.approx(np.mean(b - a))
    assert ours.low > 0
    assert ours.p_value < 0.01


def test_paired_bootstrap_of_identical_arms_and_of_scores_with_gaps() -> None:
    same = paired_bootstrap([0.2, 0.4, 0.6], [0.2, 0.4, 0.6])
    assert (same.estimate, same.low, same.high, same.p_value) == (0.0, 0.0, 0.0, 1.0)
    nan = float("nan")
    gaps = paired_bootstrap([1.0, nan, 0.0, 1.0], [1.0, 1.0, nan, 1.0], n_resamples=2_000)
    # each arm's mean leaves out its cases without a score: 2/3 against 3/3
    assert gaps.estimate == pytest.approx(1 - 2 / 3)


def test_paired_bootstrap_with_a_vectorised_statistic_and_a_recomputed_metric() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(4)
    latency_a = rng.gamma(2.0, 50.0, size=200)
    latency_b = latency_a * 0.7
    p95 = paired_bootstrap(
        list(latency_a),
        list(latency_b),
        statistic=lambda m: np.percentile(m, 95, axis=1),
        n_resamples=2_000,
    )
    assert p95.estimate == pytest.approx(
        np.percentile(latency_b, 95) - np.percentile(latency_a, 95)
    )
    assert p95.high < 0

    truth = rng.integers(0, 3, size=150)
    good = np.where(rng.random(150) < 0.8, truth, (truth + 1) % 3)
    bad = np.where(rng.random(150) < 0.5, truth, (truth + 1) % 3)

    def macro_f1(predictions: list[int], idx: np.ndarray) -> float:
        return float(f1_score(truth[idx], np.asarray(predictions)[idx], average="macro"))

    result = paired_bootstrap(list(bad), list(good), macro_f1, n_resamples=150, seed=5)
    expected = f1_score(truth, good, average="macro") - f1_score(truth, bad, average="macro")
    assert result.estimate == pytest.approx(expected)
    assert 0 < result.low < expected < result.high
    assert result.n_resamples == 150


def test_paired_bootstrap_refuses_unpaired_or_empty_input() -> None:
    with pytest.raises(InvalidInput, match="same number of cases"):
        paired_bootstrap([1.0, 2.0], [1.0])
    with pytest.raises(InvalidInput, match="at least one"):
        paired_bootstrap([], [])


def test_resampling_large_evaluations_in_blocks_keeps_every_resample() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=5_000)  # 10,000 x 5,000 indices do not fit in one block
    b = a + 0.01
    result = paired_bootstrap(list(a), list(b))
    assert result.estimate == pytest.approx(0.01)
    assert result.low == pytest.approx(0.01) and result.high == pytest.approx(0.01)
    assert result.p_value == 0.0


_TABLES = [[[10, 3], [9, 20]], [[5, 10], [25, 5]], [[101, 121], [59, 33]]]


@pytest.mark.parametrize(
    ("table", "exact"),
    # statsmodels' chi-square divides by zero without discordant pairs (ours: p = 1)
    [(t, e) for t in _TABLES for e in (True, False)] + [([[0, 0], [0, 4]], True)],
)
def test_mcnemar_equals_statsmodels(table: list[list[int]], exact: bool) -> None:
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    (both, a_only), (b_only, neither) = table
    a = [1] * both + [1] * a_only + [0] * b_only + [0] * neither
    b = [1] * both + [0] * a_only + [1] * b_only + [0] * neither
    ours = mcnemar(a, b, exact=exact)
    reference = sm_mcnemar(np.array(table), exact=exact, correction=True)
    assert ours.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    if not exact:
        assert ours.statistic == pytest.approx(reference.statistic, rel=1e-9)
