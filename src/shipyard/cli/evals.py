"""``shipyard eval``: run an evaluation, list and show them, compare two with a significance test."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import typer

from shipyard.cli import output

if TYPE_CHECKING:
    from rich.text import Text

    from shipyard.evals.compare import Comparison
    from shipyard.evals.report import Report
    from shipyard.evals.results import CaseResult, EvaluationResult

app = typer.Typer(
    help="Evaluations: run a model, prompt, app or endpoint over an eval dataset; compare runs.",
    no_args_is_help=True,
)
_JSON = typer.Option(False, "--json", help="Print JSON.")
_VERDICT_STYLE = {
    "significantly_better": "bold green",
    "significantly_worse": "bold red",
    "inconclusive": "bold yellow",
}


@app.command("run")
def run(
    target: str = typer.Option(
        ..., "--target", "-t", help="model:NAME@V, prompt:NAME@V, module:function or a URL."
    ),
    data: str = typer.Option(..., "--data", "-d", help="The eval dataset, e.g. dataset:x@1."),
    scorer: list[str] = typer.Option(
        [], "--scorer", "-s", help="A scorer spec (accuracy, f1, regex:pattern=^yes); repeat."
    ),
    model: str = typer.Option(None, "--model", "-m", help="The model a prompt target runs on."),
    expected: str = typer.Option("expected", "--expected", help="The column of right answers."),
    labels: str = typer.Option(
        None, "--labels", help="Class labels answers are normalised to (a,b); '' keeps raw text."
    ),
    max_tokens: int = typer.Option(
        None, "--max-tokens", help="For a prompt target: the most tokens an answer may have."
    ),
    parallel: int = typer.Option(8, "--parallel", "-p", help="Cases in flight at once."),
    name: str = typer.Option(None, "--name", "-n", help="A name for the evaluation run."),
    as_json: bool = _JSON,
) -> None:
    """Run TARGET on every case of DATA, score it, and store it as a run."""
    from shipyard.evals.runner import evaluate

    options = None if max_tokens is None else {"params": {"max_tokens": max_tokens}}
    result = evaluate(
        target,
        data,
        scorer,
        model=model,
        expected=expected,
        labels=None if labels is None else [x.strip() for x in labels.split(",") if x.strip()],
        target_options=options,
        parallel=parallel,
        name=name,
        progress=True,
    )
    if as_json:
        output.print_json(_summary(result))
        return
    _heading(result)
    metrics_table(result.metrics)
    output.err.print(
        f"stored as run {result.run_id}; details: shipyard eval show {result.run_id[:8]}"
    )


@app.command("list")
def list_(
    target: str = typer.Option(
        None, "--target", "-t", help="Only this target (model:x = any version)."
    ),
    data: str = typer.Option(
        None, "--data", "-d", help="Only this dataset (dataset:x = any version)."
    ),
    model: str = typer.Option(None, "--model", "-m", help="Only prompts run on this model."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many evaluations (at most 1000)."),
    as_json: bool = _JSON,
) -> None:
    """Finished evaluations, newest first."""
    from shipyard.evals.storage import list_evaluations

    found = list_evaluations(target=target, data=data, model=model, limit=limit)
    if as_json:
        output.print_json(
            [
                {
                    "run_id": s.run_id,
                    "name": s.name,
                    "target": s.target,
                    "model": s.model,
                    "data": s.data,
                    "scorers": list(s.scorers),
                    "metrics": dict(s.metrics),
                    "start_time": s.start_time,
                }
                for s in found
            ]
        )
        return
    rows = [
        (
            s.run_id[:8],
            s.name,
            s.target,
            s.model,
            s.data,
            _headline(s.scorers, s.metrics),
            _int(s.metrics.get("cases")),
            _int(s.metrics.get("errors")),
            output.when(s.start_time),
        )
        for s in found
    ]
    columns = ["run", "name", "target", "model", "data", "metrics", "cases", "errors", "started"]
    print_table(None, columns, rows)


@app.command("show")
def show(
    run_id: str = typer.Argument(..., help="The evaluation's run id (or a unique prefix)."),
    cases: int = typer.Option(10, "--cases", "-c", help="How many failing cases to show."),
    as_json: bool = _JSON,
) -> None:
    """One evaluation: its metrics, confusion matrix and first failing cases."""
    from shipyard.evals.storage import case_to_dict, load_evaluation

    result = load_evaluation(run_id)
    failing = [c for c in result.cases if _failed(c)]
    if as_json:
        output.print_json(
            {
                **_summary(result),
                "failing_cases": len(failing),
                "cases_shown": [case_to_dict(c) for c in failing[: max(cases, 0)]],
            }
        )
        return
    _heading(result)
    metrics_table(result.metrics)
    matrix = result.details.get("confusion_matrix")
    if isinstance(matrix, Mapping) and matrix.get("labels"):
        labels = [str(x) for x in matrix["labels"]]
        failed = list(matrix.get("failed") or [])
        columns = ["expected ↓ / answered →", *labels] + (["no answer"] if any(failed) else [])
        rows = [
            [label, *counts] + ([failed[i]] if any(failed) else [])
            for i, (label, counts) in enumerate(zip(labels, matrix["matrix"], strict=False))
        ]
        print_table("confusion matrix", columns, rows)
    if not failing:
        output.err.print("no failing cases")
        return
    shown = failing[: max(cases, 0)]
    print_table(
        f"failing cases ({len(shown)} of {len(failing)})",
        ["case", "inputs", "expected", "output", "error / scores"],
        [
            (
                c.index,
                _short(json.dumps(dict(c.inputs), ensure_ascii=False, default=str), 80),
                _short(str(c.expected), 40),
                _short(str(c.output), 40),
                c.error or ", ".join(f"{k}={output.fmt(v)}" for k, v in c.scores.items()),
            )
            for c in shown
        ],
    )


@app.command("compare")
def compare(
    baseline: str = typer.Argument(..., help="The baseline evaluation's run id."),
    candidate: str = typer.Argument(..., help="The candidate evaluation's run id."),
    metric: str = typer.Option(
        None, "--metric", "-m", help="The primary metric (default: the first scorer's)."
    ),
    level: float = typer.Option(0.05, "--level", help="The significance level of the test."),
    as_json: bool = _JSON,
) -> None:
    """Compare CANDIDATE with BASELINE case by case, ending in a verdict."""
    from shipyard.evals.quick_compare import compare_quickly
    from shipyard.evals.storage import load_evaluation

    base, cand = load_evaluation(baseline), load_evaluation(candidate)
    comparison = compare_quickly(base, cand, metric=metric, level=level)
    if as_json:
        output.print_json(comparison.to_dict())
        return
    print_comparison(comparison)


@app.command("report")
def report(
    runs: list[str] = typer.Argument(..., help="Two to ten evaluation run ids of one dataset."),
    baseline: str = typer.Option(
        None, "--baseline", "-b", help="The run the others are tested against (default: first)."
    ),
    metric: str = typer.Option(None, "--metric", "-m", help="The metric every verdict tests."),
    level: float = typer.Option(0.05, "--level", help="The significance level of the tests."),
    as_json: bool = _JSON,
) -> None:
    """Several evaluations of one dataset side by side, each tested against a baseline."""
    from shipyard.evals.report import build_report
    from shipyard.workspace import current_workspace

    found = build_report(current_workspace(), runs, baseline=baseline, metric=metric, level=level)
    if as_json:
        output.print_json(found.to_dict())
        return
    print_report(found)


def print_report(r: Report) -> None:
    """One row per evaluation: quality, latency, cost, and its verdict against the baseline."""
    from rich.text import Text

    columns = ["evaluation", *r.quality, *(_SHORT.get(n, n) for n in r.operational), "verdict"]
    rows = []
    for row in r.rows:
        m = row.result.metrics
        if row.is_baseline:
            verdict = Text("baseline", style="bold")
        elif row.comparison is None:
            verdict = Text(row.error or "–", style="yellow")
        else:
            c = row.comparison
            verdict = Text.assemble(
                (c.verdict.replace("_", " "), _VERDICT_STYLE.get(c.verdict, "bold")),
                f" (Δ{c.metric} {c.delta:+.3f}, p = {output.fmt(c.test.p_value)})",
            )
        rows.append(
            (
                f"{row.label}  [{row.result.run_id[:8]}]",
                *(m.get(n) for n in r.quality),
                *(m.get(n) for n in r.operational),
                verdict,
            )
        )
    title = f"{r.data}: {len(r.rows)} evaluations" + (
        f", verdicts on {r.metric} at level {r.level:g}" if r.metric else ""
    )
    print_table(title, columns, rows)


_SHORT = {
    "p50_latency_ms": "p50 ms",
    "p95_latency_ms": "p95 ms",
    "cost_per_1k_usd": "$ / 1k",
}


def print_comparison(c: Comparison) -> None:
    """Wins and losses, every delta with its interval, the test and the coloured verdict."""
    from rich.text import Text

    output.out.print(
        Text.assemble(
            ("baseline   ", "bold"),
            f"{c.baseline_target}  (run {c.baseline_run[:8]})\n",
            ("candidate  ", "bold"),
            f"{c.candidate_target}  (run {c.candidate_run[:8]})\n",
            ("data       ", "bold"),
            f"{c.data}, {c.cases} paired cases; primary metric {c.metric}",
        )
    )
    output.out.print(
        Text.assemble(
            ("wins ", "bold"),
            (str(c.wins), "green"),
            ("  losses ", "bold"),
            (str(c.losses), "red"),
            ("  ties ", "bold"),
            str(c.ties),
            f"   (candidate's view, per-case {c.per_case_score})",
        )
    )
    confidence = f"{(1 - c.level) * 100:g}% interval"
    rows = []
    for d in c.deltas:
        interval = "–" if d.low is None or d.high is None else f"[{d.low:+.4g}, {d.high:+.4g}]"
        rows.append((d.name, d.baseline, d.candidate, _delta(d), interval))
    print_table(None, ["metric", "baseline", "candidate", "delta", confidence], rows)
    output.out.print(
        Text.assemble(
            ("test ", "bold"),
            f"{c.test.method}: statistic {output.fmt(c.test.statistic)}, "
            f"p = {output.fmt(c.test.p_value)} (n = {c.test.n}, level {c.level:g})",
        )
    )
    output.out.print(
        Text.assemble(
            ("verdict ", "bold"),
            (c.verdict.replace("_", " "), _VERDICT_STYLE.get(c.verdict, "bold")),
        )
    )


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table like ``output.table`` whose cells are never read as rich markup (``f1[yes]``)."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, title_justify="left", header_style="bold")
    for i, column in enumerate(columns):
        t.add_column(column, overflow="fold", no_wrap=i == 0)
    for row in rows:
        t.add_row(*(v if isinstance(v, Text) else Text(output.fmt(v)) for v in row))
    output.out.print(t)


def metric_order(metrics: Mapping[str, Any]) -> list[str]:
    """Quality metrics first, then per-class ones, then latency, cost and counts."""
    from shipyard.evals.scorers import ALWAYS_ON

    names = [n for n in metrics if n not in ALWAYS_ON]
    overall = sorted(n for n in names if "[" not in n)
    per_class = sorted(n for n in names if "[" in n)
    return overall + per_class + [n for n in ALWAYS_ON if n in metrics]


def _heading(result: EvaluationResult) -> None:
    """Which run, what ran on what: printed above its tables (a table title would wrap)."""
    from rich.text import Text

    output.out.print(Text.assemble(("evaluation ", "bold"), result.run_id))
    output.out.print(Text(_what(result)))


def metrics_table(metrics: Mapping[str, Any]) -> None:
    print_table(None, ["metric", "value"], [(n, metrics[n]) for n in metric_order(metrics)])


def _summary(result: EvaluationResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "target": result.target,
        "model": result.model,
        "data": result.data,
        "scorers": list(result.scorers),
        "metrics": dict(result.metrics),
        "details": dict(result.details),
    }


def _what(result: EvaluationResult) -> str:
    on = f" on {result.model}" if result.model else ""
    return f"{result.target}{on} over {result.data}"


def _headline(scorers: Sequence[str], metrics: Mapping[str, float]) -> str:
    shown = []
    for spec in scorers:
        head, _, options = spec.partition(":")
        named = [o.split("=", 1)[1] for o in options.split(",") if o.strip().startswith("name=")]
        metric = (named[0] if named else head).strip()
        if metric in metrics:
            shown.append(f"{metric}={output.fmt(metrics[metric])}")
    return ", ".join(shown)


def _failed(case: CaseResult) -> bool:
    """An error, a wrong label, or a per-case score of 0 (no match)."""
    return case.error is not None or any(v == 0 for v in case.scores.values() if v is not None)


def _delta(d: Any) -> Text:
    from rich.text import Text

    text = f"{d.delta:+.4g}"
    if d.higher_is_better is None or d.low is None or d.high is None or d.low <= 0 <= d.high:
        return Text(text)
    better = (d.low > 0) == bool(d.higher_is_better)
    return Text(text, style="green" if better else "red")


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
