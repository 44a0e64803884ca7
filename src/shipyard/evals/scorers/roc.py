"""ROC AUC from the class scores a target gives (``case.proba``): binary, or macro one-vs-rest.

The area is the Mann-Whitney statistic (ties count half), which equals the
trapezoidal area under the ROC curve that scikit-learn computes. With two
expected classes the positive one is the second in sorted order, as in
scikit-learn; with more, each class against the rest, averaged.

Only cases with class scores can be ranked: failed cases and cases without
``proba`` are left out and counted in ``details["roc_auc"]["excluded"]``.
When no case has scores, or the expected labels hold a single class, there
is no ``roc_auc`` metric and the details say why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import Aggregate, aggregate_scorer
from shipyard.evals.scorers.values import label_of


def area(positive: Sequence[bool], scores: Sequence[float]) -> float | None:
    """ROC AUC of scores for a binary truth; None when one side is empty.

    Uses numpy when it is installed (a bootstrap calls this thousands of
    times), else the same ranks in pure Python.
    """
    n_pos = sum(positive)
    n_neg = len(scores) - n_pos
    if not n_pos or not n_neg:
        return None
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with every extra that evaluates
        rank_sum = _rank_sum(positive, scores)
    else:
        _, inverse, counts = np.unique(
            np.asarray(scores, dtype=float), return_inverse=True, return_counts=True
        )
        ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
        rank_sum = float(ranks[np.asarray(positive, dtype=bool)].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _rank_sum(positive: Sequence[bool], scores: Sequence[float]) -> float:
    """Sum of the (tie-averaged, 1-based) ranks of the positive cases."""
    n = len(scores)
    order = sorted(range(n), key=scores.__getitem__)
    rank_sum = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        rank_sum += (i + j + 2) / 2 * sum(1 for k in range(i, j + 1) if positive[order[k]])
        i = j + 1
    return rank_sum


_normalized: dict[int, tuple[Mapping[str, float], dict[str, float] | None]] = {}
_NORMALIZED_MAX = 100_000


def _scores(proba: Mapping[str, float] | None) -> dict[str, float] | None:
    """Class scores keyed by label, or None if unusable; remembered per mapping.

    A bootstrap ranks the same cases thousands of times: the entry keeps the
    mapping itself, so an id is never mistaken for another object's.
    """
    if not proba:
        return None
    found = _normalized.get(id(proba))
    if found is not None and found[0] is proba:
        return found[1]
    labelled: dict[str, float] = {}
    for key, value in proba.items():
        label = label_of(key)
        usable = not isinstance(value, bool) and isinstance(value, int | float)
        if label is None or not usable or not math.isfinite(value):
            break
        labelled[label] = float(value)
    out = labelled if len(labelled) == len(proba) else None
    if len(_normalized) >= _NORMALIZED_MAX:
        _normalized.clear()
    _normalized[id(proba)] = (proba, out)
    return out


@aggregate_scorer("roc_auc", classification=True)
def roc_auc(cases: Sequence[CaseResult]) -> Aggregate:
    """Area under the ROC curve from ``case.proba`` (binary, or macro one-vs-rest)."""
    rows: list[tuple[str, dict[str, float]]] = []
    excluded = 0
    for case in cases:
        expected = label_of(case.expected)
        if expected is None:
            continue
        scores = _scores(case.proba) if case.error is None else None
        if scores is None:
            excluded += 1
        else:
            rows.append((expected, scores))
    if not rows:
        return Aggregate({}, {"skipped": "no case has class scores (proba)", "excluded": excluded})
    classes = sorted({expected for expected, _ in rows})
    if len(classes) < 2:
        return Aggregate(
            {}, {"skipped": f"every expected label is {classes[0]!r}", "excluded": excluded}
        )
    if len(classes) == 2:
        negative, positive = classes
        kept = [(t, _binary_score(s, positive, negative)) for t, s in rows]
        pairs = [(t, s) for t, s in kept if s is not None]
        excluded += len(kept) - len(pairs)
        value = area([t == positive for t, _ in pairs], [s for _, s in pairs])
        details = {"cases": len(pairs), "excluded": excluded, "positive": positive}
        if value is None:
            return Aggregate({}, {**details, "skipped": "the scored cases hold a single class"})
        return Aggregate({"roc_auc": value}, details)
    areas = []
    for label in classes:
        found = area([t == label for t, _ in rows], [s.get(label, 0.0) for _, s in rows])
        if found is not None:
            areas.append(found)
    return Aggregate(
        {"roc_auc": sum(areas) / len(areas)},
        {"cases": len(rows), "excluded": excluded, "average": "macro one-vs-rest"},
    )


def _binary_score(scores: Mapping[str, float], positive: str, negative: str) -> float | None:
    if positive in scores:
        return scores[positive]
    if negative in scores:
        return 1.0 - scores[negative]
    return None
