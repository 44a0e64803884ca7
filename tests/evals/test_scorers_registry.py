"""The scorer registry: specs, options, custom scorers, metric names a gate can check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.scorers import (
    ALWAYS_ON,
    Aggregate,
    BatchScores,
    aggregate_metrics,
    aggregate_scorer,
    get_scorer,
    is_known_metric,
    metric_names,
    score_cases,
    scorer,
    scorer_names,
)
from shipyard.evals.scorers.spec import parse_spec

BUILT_IN = {
    "exact_match",
    "contains",
    "regex",
    "json_valid",
    "json_schema",
    "numeric_tolerance",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "confusion_matrix",
    "mae",
    "rmse",
    "r2",
    "embedding_similarity",
    "rouge_l",
    "judge",
}


def case(i: int, output: Any, expected: Any = None, **kw: Any) -> CaseResult:
    return CaseResult(
        index=i, inputs={"q": f"question {i}"}, expected=expected, output=output, **kw
    )


# --- specs --------------------------------------------------------------------------------


def test_every_built_in_scorer_is_registered() -> None:
    assert set(scorer_names()) >= BUILT_IN
    assert scorer_names() == sorted(scorer_names())


@pytest.mark.parametrize(
    ("spec", "name", "options"),
    [
        ("accuracy", "accuracy", {}),
        ("  f1  ", "f1", {}),
        ("regex:pattern=^yes", "regex", {"pattern": "^yes"}),
        ("regex:pattern=a,b", "regex", {"pattern": "a,b"}),  # a comma not followed by key=
        ("numeric_tolerance:tolerance=0.5", "numeric_tolerance", {"tolerance": "0.5"}),
        (
            "judge:rubric=prompt:my-rubric@2,model=echo/x",
            "judge",
            {"rubric": "prompt:my-rubric@2", "model": "echo/x"},
        ),
        (
            'json_schema:schema={"type":"object","required":["a","b=c"]},name=js',
            "json_schema",
            {"schema": '{"type":"object","required":["a","b=c"]}', "name": "js"},
        ),
        ('contains:value="x, y=z"', "contains", {"value": '"x, y=z"'}),
        (
            "exact_match:ignore_case=false, strip=true",
            "exact_match",
            {"ignore_case": "false", "strip": "true"},
        ),
    ],
)
def test_specs_are_split_into_a_name_and_options(
    spec: str, name: str, options: dict[str, str]
) -> None:
    assert parse_spec(spec) == (name, options)


def test_option_values_are_typed_by_the_scorer() -> None:
    assert get_scorer("numeric_tolerance:tolerance=0.5").options == {"tolerance": 0.5}
    assert get_scorer("numeric_tolerance:tolerance=1").options == {"tolerance": 1.0}
    assert get_scorer("exact_match:ignore_case=false").options == {"ignore_case": False}
    assert get_scorer("regex:pattern=123").options == {"pattern": "123"}  # str stays text
    assert get_scorer('contains:value="x, y=z"').options == {"value": "x, y=z"}  # quoted str
    judge = get_scorer("judge:rubric=prompt:my-rubric@2,model=echo/x,max_tokens=4")
    assert judge.options == {"rubric": "prompt:my-rubric@2", "model": "echo/x", "max_tokens": 4}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown scorer 'nope'; known: accuracy, confusion_matrix"),
        ("f1:average=micro", "scorer 'f1' has no option 'average'"),
        ("regex", "scorer 'regex' needs option(s) pattern: regex:pattern=..."),
        ("regex:pattern=(", "not a valid regular expression"),
        ("exact_match:ignore_case=maybe", "option ignore_case must be true or false; got 'maybe'"),
        ("numeric_tolerance:tolerance=abc", "option tolerance must be a number; got 'abc'"),
        ("numeric_tolerance:tolerance=-1", "tolerance must be >= 0"),
        ("judge:max_tokens=2.5", "option max_tokens must be a whole number"),
        ("judge:scale=5-1", "scale must be LOW-HIGH"),
        ("judge:mode=shout", "mode must be one of auto, complete, chat"),
        ("json_schema:schema=missing.json", "neither inline JSON nor a file"),
        ('json_schema:schema={"type":"nonsense"}', "not a valid JSON Schema"),
        ("regex:pattern=a,pattern=b", "gives option 'pattern' twice"),
        ("f1:oops", "expected key=value at 'oops'"),
        ("1abc", "is not a scorer name"),
        ("", "a scorer spec is a name"),
        ("f1:name=bad name", "name='bad name' must start with a letter"),
    ],
)
def test_bad_specs_are_one_line_errors(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        get_scorer(spec)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_schema_file_is_read_once(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "schema.json"
    path.write_text('{"type": "object", "required": ["answer"]}')
    bound = get_scorer(f"json_schema:schema={path}")
    assert bound.score_case(case(0, '{"answer": 1}')) == 1.0
    assert bound.score_case(case(0, '{"other": 1}')) == 0.0


# --- custom scorers ----------------------------------------------------------------------


@scorer("shouts")
def shouts(c: CaseResult, *, mark: str = "!") -> bool | None:
    """The output ends with a mark."""
    if c.output is None:
        return None
    return str(c.output).endswith(mark)


@aggregate_scorer("longest", metrics=("{name}", "{name}[*]"))
def longest(cases: Sequence[CaseResult], *, unit: str = "chars") -> Aggregate:
    """Length of the longest output, and per expected label."""
    per_label: dict[str, float] = {}
    for c in cases:
        if c.ok:
            label = str(c.expected)
            per_label[label] = max(per_label.get(label, 0.0), float(len(str(c.output))))
    metrics = {f"longest[{k}]": v for k, v in per_label.items()}
    metrics["longest"] = max(per_label.values())
    return Aggregate(metrics, {"unit": unit})


@aggregate_scorer("plain_mapping")
def plain_mapping(cases: Sequence[CaseResult]) -> dict[str, float]:
    return {"plain_mapping": float(len(cases))}


@aggregate_scorer("liar")
def liar(cases: Sequence[CaseResult]) -> dict[str, float]:
    return {"something_else": 1.0}


@scorer("lengths", batch=True)
def lengths(cases: Sequence[CaseResult]) -> BatchScores:
    return BatchScores(
        [len(str(c.output)) / 10 for c in cases],
        notes={0: {"first": True}},
        details={"seen": len(cases)},
    )


def test_a_custom_per_case_scorer_through_the_decorator() -> None:
    cases = [case(0, "yes!"), case(1, "no"), case(2, None), case(3, None, error="boom")]
    scored, metrics, _ = score_cases(cases, ["shouts", "shouts:mark=o,name=ends_o"])
    assert [c.scores["shouts"] for c in scored] == [1.0, 0.0, None, 0.0]
    assert [c.scores["ends_o"] for c in scored] == [0.0, 1.0, None, 0.0]
    assert metrics["shouts"] == pytest.approx(1 / 3)  # None is not scored; the failure scores 0
    assert metrics["ends_o"] == pytest.approx(1 / 3)
    assert "shouts" in scorer_names()


def test_custom_aggregate_and_batch_scorers() -> None:
    cases = [case(0, "abc", "a"), case(1, "abcdef", "b"), case(2, "x", "a", error="boom")]
    scored, metrics, details = score_cases(
        cases, ["longest:unit=bytes", "longest:name=widest", "plain_mapping", "lengths"]
    )
    assert metrics["longest"] == 6.0 and metrics["longest[a]"] == 3.0
    assert metrics["widest"] == 6.0 and metrics["widest[b]"] == 6.0  # renamed with its per-class
    assert details["longest"] == {"unit": "bytes"}
    assert metrics["plain_mapping"] == 3.0
    assert [c.scores["lengths"] for c in scored] == [0.3, 0.6, 0.0]
    assert scored[0].metadata["scoring"] == {"lengths": {"first": True}}
    assert "scoring" not in scored[1].metadata
    assert details["lengths"] == {"seen": 2}  # the failed case never reached the scorer
    assert is_known_metric("widest[zzz]", ["longest:name=widest"])


def test_a_scorer_must_declare_its_metrics_and_return_numbers() -> None:
    with pytest.raises(InvalidInput, match="did not declare; list it in metrics="):
        score_cases([case(0, "a", "a")], ["liar"])

    @scorer("wordy")
    def wordy(c: CaseResult) -> object:
        return "great"

    with pytest.raises(InvalidInput, match="returned str; a score is a number") as caught:
        score_cases([case(7, "a")], ["wordy"])
    assert "while scoring case 7 with 'wordy'" in caught.value.__notes__


def test_registration_mistakes() -> None:
    with pytest.raises(InvalidInput, match="is built in; register yours under another name"):
        scorer("f1")(shouts)
    with pytest.raises(InvalidInput, match="must start with a letter"):
        scorer("no spaces")(shouts)
    with pytest.raises(InvalidInput, match="option 'name' is reserved"):

        @scorer("named")
        def named(c: CaseResult, *, name: str = "") -> float:
            return 0.0

    with pytest.raises(InvalidInput, match="takes the case"):

        @scorer("keyword_only")
        def keyword_only(*, c: CaseResult) -> float:
            return 0.0


def test_two_scorers_may_not_write_one_metric() -> None:
    with pytest.raises(InvalidInput, match="both produce metric 'regex'; rename one with name="):
        metric_names(["regex:pattern=a", "regex:pattern=b"])
    with pytest.raises(InvalidInput, match="both produce metric 'cases'"):
        metric_names(["exact_match:name=cases"])
    assert metric_names(["regex:pattern=a", "regex:pattern=b,name=regex_b"]) >= {"regex", "regex_b"}
    with pytest.raises(InvalidInput, match="a list of strings"):
        metric_names("f1")


# --- metric names ------------------------------------------------------------------------


def test_metric_names_list_what_specs_produce_plus_the_always_on_ones() -> None:
    names = metric_names(["accuracy", "f1", "roc_auc", "confusion_matrix", "judge:name=helpful"])
    assert names == set(ALWAYS_ON) | {"accuracy", "f1", "f1[*]", "roc_auc", "helpful"}
    assert set(ALWAYS_ON) == {
        "cases",
        "errors",
        "error_rate",
        "p50_latency_ms",
        "p95_latency_ms",
        "cost_usd",
        "cost_per_1k_usd",
        "prompt_tokens",
        "completion_tokens",
    }
    specs = ["f1", "precision", "mae"]
    assert is_known_metric("f1[positive]", specs)
    assert is_known_metric("precision[a b]", specs)
    assert is_known_metric("p95_latency_ms", specs)
    assert is_known_metric("mae", specs)
    assert not is_known_metric("recall[positive]", specs)
    assert not is_known_metric("f1[positive", specs)
    assert not is_known_metric("accuracy", specs)
    assert not is_known_metric("mae[x]", specs)


def test_metrics_really_produced_are_all_known() -> None:
    cases = [
        case(i, o, e, proba={"a": p, "b": 1 - p}, latency_ms=float(i))
        for i, (o, e, p) in enumerate([("a", "a", 0.9), ("b", "a", 0.4), ("b", "b", 0.2)])
    ]
    specs = ["accuracy", "precision", "recall", "f1", "roc_auc", "exact_match", "rouge_l"]
    scored, metrics, _ = score_cases(cases, specs)
    assert all(is_known_metric(name, specs) for name in metrics)
    quality = aggregate_metrics(scored, specs)
    assert quality == {k: v for k, v in metrics.items() if k not in ALWAYS_ON}
    assert aggregate_metrics(scored, specs, operational=True) == metrics
