"""Scorers: turn an evaluation's outputs into numbers, one registry for built-in and custom ones.

Pick scorers by spec (``"f1"``, ``"regex:pattern=^yes"``,
``"judge:rubric=prompt:my-rubric@2,model=echo/x"``); register your own with
``@scorer("name")`` (a per-case function) or ``@aggregate_scorer("name")``
(a function of all cases). ``score_cases`` scores an evaluation;
``aggregate_metrics`` recomputes its quality metrics on resampled cases;
``metric_names`` / ``is_known_metric`` say which metrics specs will produce.

Built-in: exact_match, contains, regex, json_valid, json_schema,
numeric_tolerance, accuracy, precision, recall, f1, roc_auc,
confusion_matrix, mae, rmse, r2, embedding_similarity, rouge_l, judge.
"""

from __future__ import annotations

from shipyard.evals.scorers.registry import (
    Aggregate,
    BatchScores,
    Scorer,
    aggregate_scorer,
    get_scorer,
    scorer,
    scorer_names,
)
from shipyard.evals.scorers.scoring import (
    ALWAYS_ON,
    CORRECT,
    aggregate_metrics,
    is_known_metric,
    metric_names,
    operational_metrics,
    score_cases,
)
from shipyard.evals.scorers.values import label_of

__all__ = [
    "ALWAYS_ON",
    "CORRECT",
    "Aggregate",
    "BatchScores",
    "Scorer",
    "aggregate_metrics",
    "aggregate_scorer",
    "get_scorer",
    "is_known_metric",
    "label_of",
    "metric_names",
    "operational_metrics",
    "score_cases",
    "scorer",
    "scorer_names",
]
