"""Evaluation charts as plotly figures (``{"data": [...], "layout": {...}}``) that ``evals.js`` draws.

Each function takes what an evaluation or a comparison already holds and
returns a figure, or ``None`` when there is nothing to draw (no confusion
matrix for a regression, no interval for a metric). The look (fonts, grid,
margins) is added in the browser, so figures here carry only what differs.
Colours are the run palette of ``charts``: the baseline is always the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shipyard.evals.compare import Comparison, MetricDelta
from shipyard.evals.results import CaseResult
from shipyard.server.pages.charts import PALETTE

Figure = dict[str, Any]
BETTER, WORSE, UNSURE = "#16a34a", "#dc2626", "#64748b"
TIE = "#cbd5e1"
MAX_CLASSES = 30
"""More classes than this (free-text answers kept raw, say) make no readable matrix or bars."""


def confusion_heatmap(confusion: Mapping[str, Any] | None) -> Figure | None:
    """Expected labels down, answered labels across, counts written in the cells."""
    if not confusion or not confusion.get("labels") or len(confusion["labels"]) > MAX_CLASSES:
        return None
    labels = [str(label) for label in confusion["labels"]]
    matrix = [[int(n) for n in row] for row in confusion["matrix"]]
    return {
        "data": [
            {
                "type": "heatmap",
                "z": matrix,
                "x": labels,
                "y": labels,
                "colorscale": "Blues",
                "reversescale": True,  # plotly's Blues runs dark to light: many cases = dark
                "showscale": False,
                "texttemplate": "%{z}",
                "hovertemplate": "expected %{y}<br>answered %{x}<br>%{z} cases<extra></extra>",
                "xgap": 2,
                "ygap": 2,
            }
        ],
        "layout": {
            "xaxis": {"title": {"text": "answered"}, "type": "category", "side": "bottom"},
            "yaxis": {"title": {"text": "expected"}, "type": "category", "autorange": "reversed"},
            "height": max(260, 60 + 46 * len(labels)),
        },
    }


def per_class_bars(classes: Mapping[str, Mapping[str, float]]) -> Figure | None:
    """Precision, recall and F1 of each class, grouped by class."""
    if not classes or len(classes) > MAX_CLASSES:
        return None
    labels = list(classes)
    names = [n for n in ("precision", "recall", "f1") if any(n in c for c in classes.values())]
    data = [
        {
            "type": "bar",
            "name": name,
            "x": labels,
            "y": [_finite(classes[label].get(name)) for label in labels],
            "marker": {"color": PALETTE[i]},
            "hovertemplate": f"{name} %{{x}}: %{{y:.3f}}<extra></extra>",
        }
        for i, name in enumerate(names)
    ]
    return {
        "data": data,
        "layout": {
            "barmode": "group",
            "yaxis": {"range": [0, 1.05], "title": {"text": "score"}},
            "xaxis": {"type": "category", "title": {"text": "class"}},
            "showlegend": len(data) > 1,
        },
    }


def latency_histogram(cases: Sequence[CaseResult]) -> Figure | None:
    """How long each case took, failed ones included (a user waits for those too)."""
    values = [round(c.latency_ms, 3) for c in cases if math.isfinite(c.latency_ms)]
    if not values:
        return None
    return {
        "data": [
            {
                "type": "histogram",
                "x": values,
                "nbinsx": 30,
                "marker": {"color": PALETTE[0]},
                "hovertemplate": "%{x} ms: %{y} cases<extra></extra>",
            }
        ],
        "layout": {
            "xaxis": {"title": {"text": "latency (ms)"}},
            "yaxis": {"title": {"text": "cases"}},
            "bargap": 0.05,
        },
    }


def outcome_bar(comparison: Comparison) -> Figure:
    """Cases the candidate won, tied and lost, as one stacked bar."""
    parts = (
        ("candidate better", comparison.wins, BETTER),
        ("tie", comparison.ties, TIE),
        ("baseline better", comparison.losses, WORSE),
    )
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": f"{name} ({n})",
            "x": [n],
            "y": ["cases"],
            "marker": {"color": color},
            "text": [str(n)] if n else [""],
            "textposition": "inside",
            "hovertemplate": f"{name}: {n} cases<extra></extra>",
        }
        for name, n, color in parts
    ]
    return {
        "data": data,
        "layout": {
            "barmode": "stack",
            "height": 130,
            "margin": {"l": 16, "r": 16, "t": 30, "b": 40},
            "showlegend": True,
            "yaxis": {"showticklabels": False},
            "xaxis": {"title": {"text": f"cases, by {comparison.per_case_score}"}},
        },
    }


def forest_plot(deltas: Sequence[MetricDelta], title: str) -> Figure | None:
    """Each delta (candidate − baseline) as a dot with its bootstrap interval as error bars.

    Green: the whole interval is an improvement; red: a regression; grey: it
    crosses zero (or has no interval), so the data do not say which.
    """
    rows = [d for d in deltas if math.isfinite(d.delta)]
    if not rows:
        return None
    colors = [_direction_color(d) for d in rows]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [d.delta for d in rows],
                "y": [d.name for d in rows],
                "marker": {"color": colors, "size": 10},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [_span(d.high, d.delta) for d in rows],
                    "arrayminus": [_span(d.delta, d.low) for d in rows],
                    "color": "#475569",
                    "thickness": 1.5,
                    "width": 6,
                },
                "customdata": [[_text(d.low), _text(d.high)] for d in rows],
                "hovertemplate": "%{y}: %{x:+.4g} [%{customdata[0]}, %{customdata[1]}]<extra></extra>",
            }
        ],
        "layout": {
            "xaxis": {"title": {"text": title}, "zeroline": True, "zerolinecolor": "#94a3b8"},
            "yaxis": {"type": "category", "autorange": "reversed"},
            "height": max(200, 70 + 34 * len(rows)),
            "shapes": [
                {
                    "type": "line",
                    "x0": 0,
                    "x1": 0,
                    "xref": "x",
                    "y0": 0,
                    "y1": 1,
                    "yref": "paper",
                    "line": {"color": "#94a3b8", "dash": "dot", "width": 1},
                }
            ],
        },
    }


def grouped_bars(
    labels: Sequence[str],
    values: Sequence[Mapping[str, float]],
    metrics: Sequence[str],
    y_title: str,
) -> Figure | None:
    """One bar per evaluation for each metric, grouped by metric (the report's charts)."""
    shown = [m for m in metrics if any(_finite(v.get(m)) is not None for v in values)]
    if not shown:
        return None
    data = [
        {
            "type": "bar",
            "name": label,
            "x": list(shown),
            "y": [_finite(row.get(m)) for m in shown],
            "marker": {"color": PALETTE[i % len(PALETTE)]},
            "hovertemplate": "%{x}: %{y:.4g}<extra>%{fullData.name}</extra>",
        }
        for i, (label, row) in enumerate(zip(labels, values, strict=True))
    ]
    return {
        "data": data,
        "layout": {
            "barmode": "group",
            "showlegend": True,
            "xaxis": {"type": "category"},
            "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        },
    }


def _direction_color(d: MetricDelta) -> str:
    if d.low is None or d.high is None or d.higher_is_better is None:
        return UNSURE
    if d.low > 0 or d.high < 0:
        improved = (d.low > 0) == d.higher_is_better
        return BETTER if improved else WORSE
    return UNSURE


def _span(a: float | None, b: float | None) -> float:
    if a is None or b is None or not math.isfinite(a - b):
        return 0.0
    return max(a - b, 0.0)


def _text(value: float | None) -> str:
    return "no interval" if value is None else f"{value:+.4g}"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
