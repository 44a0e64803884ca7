"""Classification aggregates: accuracy, precision/recall/F1 per class and macro, confusion matrix.

Labels are compared as text (``label_of``), so ``1``, ``1.0`` and ``"1"``
are one class. The classes are every expected label and every label the
target answered, sorted, as scikit-learn does; macro averages are the plain
mean over them, and a class nobody predicted has precision 0 (scikit-learn's
``zero_division=0``).

A failed case (the target raised) or a case with no output counts as a wrong
prediction: it lowers accuracy and the recall of its true class, and it is a
false positive for no class — an app that crashes is not accurate. That is
scikit-learn with ``labels=`` the real classes and a prediction outside them.
Cases without an expected label are left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import Aggregate, aggregate_scorer, pass_cache
from shipyard.evals.scorers.values import label_of


@dataclass(frozen=True)
class Tally:
    """Counts of (expected, predicted) label pairs; predicted None is a failed case."""

    pairs: Counter[tuple[str, str | None]]
    labels: list[str]
    cases: int

    def true_count(self, label: str) -> int:
        return sum(n for (t, _), n in self.pairs.items() if t == label)

    def predicted_count(self, label: str) -> int:
        return sum(n for (_, p), n in self.pairs.items() if p == label)


def tally(cases: Sequence[CaseResult]) -> Tally:
    """Count label pairs once per scoring pass, however many classification scorers ask."""
    cache = pass_cache()
    key = ("classification.tally", id(cases))
    if cache is not None and key in cache:
        found: Tally = cache[key]
        return found
    pairs: Counter[tuple[str, str | None]] = Counter()
    for case in cases:
        expected = label_of(case.expected)
        if expected is None:
            continue
        predicted = label_of(case.output) if case.error is None else None
        pairs[(expected, predicted)] += 1
    labels = sorted({t for t, _ in pairs} | {p for _, p in pairs if p is not None})
    result = Tally(pairs, labels, sum(pairs.values()))
    if cache is not None:
        cache[key] = result
    return result


def correct(case: CaseResult) -> float | None:
    """1.0 when the case's output is its expected label, 0.0 otherwise (failed cases too)."""
    expected = label_of(case.expected)
    if expected is None:
        return None
    if case.error is not None:
        return 0.0
    return 1.0 if label_of(case.output) == expected else 0.0


def _per_class(t: Tally) -> dict[str, tuple[float, float, float]]:
    """Precision, recall and F1 of every class (0 where undefined)."""
    true: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for (expected, got), n in t.pairs.items():
        true[expected] += n
        if got is not None:
            predicted[got] += n
            if got == expected:
                hits[got] += n
    out = {}
    for label in t.labels:
        tp, p, r = hits[label], predicted[label], true[label]
        out[label] = (
            tp / p if p else 0.0,
            tp / r if r else 0.0,
            2 * tp / (p + r) if p + r else 0.0,
        )
    return out


def _metric(cases: Sequence[CaseResult], name: str, position: int) -> Aggregate:
    t = tally(cases)
    if not t.cases:
        return Aggregate({}, {"skipped": "no case has an expected label"})
    cache = pass_cache()
    key = ("classification.per_class", id(cases))
    if cache is not None and key in cache:
        per_class: dict[str, tuple[float, float, float]] = cache[key]
    else:
        per_class = _per_class(t)
        if cache is not None:
            cache[key] = per_class
    values = {label: scores[position] for label, scores in per_class.items()}
    metrics = {f"{name}[{label}]": value for label, value in values.items()}
    metrics[name] = sum(values.values()) / len(values)
    return Aggregate(metrics)


@aggregate_scorer("accuracy", classification=True)
def accuracy(cases: Sequence[CaseResult]) -> Aggregate:
    """Share of cases whose output is the expected label (failed cases are wrong)."""
    t = tally(cases)
    if not t.cases:
        return Aggregate({}, {"skipped": "no case has an expected label"})
    hits = sum(n for (expected, got), n in t.pairs.items() if expected == got)
    return Aggregate({"accuracy": hits / t.cases})


@aggregate_scorer("precision", metrics=("{name}", "{name}[*]"), classification=True)
def precision(cases: Sequence[CaseResult]) -> Aggregate:
    """Precision per class (``precision[LABEL]``) and their macro mean (``precision``)."""
    return _metric(cases, "precision", 0)


@aggregate_scorer("recall", metrics=("{name}", "{name}[*]"), classification=True)
def recall(cases: Sequence[CaseResult]) -> Aggregate:
    """Recall per class (``recall[LABEL]``) and their macro mean (``recall``)."""
    return _metric(cases, "recall", 1)


@aggregate_scorer("f1", metrics=("{name}", "{name}[*]"), classification=True)
def f1(cases: Sequence[CaseResult]) -> Aggregate:
    """F1 per class (``f1[LABEL]``) and their macro mean (``f1``)."""
    return _metric(cases, "f1", 2)


@aggregate_scorer("confusion_matrix", metrics=(), classification=True)
def confusion_matrix(cases: Sequence[CaseResult]) -> Aggregate:
    """Counts by expected label (rows) and answered label (columns); details only.

    ``failed`` counts, per expected label, the cases that got no answer (the
    column a square matrix has no room for).
    """
    t = tally(cases)
    index = {label: i for i, label in enumerate(t.labels)}
    matrix = [[0] * len(t.labels) for _ in t.labels]
    failed = [0] * len(t.labels)
    for (expected, got), n in t.pairs.items():
        if got is None:
            failed[index[expected]] += n
        else:
            matrix[index[expected]][index[got]] += n
    return Aggregate({}, {"labels": list(t.labels), "matrix": matrix, "failed": failed})
