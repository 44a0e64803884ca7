"""Per-case scorers on known inputs: matching, structured output, numbers, ROUGE-L."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.evals.results import CaseResult
from shipyard.evals.scorers import get_scorer, label_of, score_cases
from shipyard.evals.scorers.similarity import lcs_length, rouge_l_score, tokens
from shipyard.evals.scorers.values import as_number, as_text


def case(output: Any, expected: Any = None, error: str | None = None) -> CaseResult:
    return CaseResult(index=0, inputs={"q": "?"}, expected=expected, output=output, error=error)


def score(spec: str, output: Any, expected: Any = None) -> float | None:
    return get_scorer(spec).score_case(case(output, expected))


@pytest.mark.parametrize(
    ("spec", "output", "expected", "want"),
    [
        ("exact_match", "yes", "yes", 1.0),
        ("exact_match", " Yes\n", "yes", 1.0),
        ("exact_match", "Yes", "yes", 1.0),
        ("exact_match:ignore_case=false", "Yes", "yes", 0.0),
        ("exact_match:strip=false", "yes ", "yes", 0.0),
        ("exact_match", "yes!", "yes", 0.0),
        ("exact_match", 1, "1", 1.0),
        ("exact_match", 1.0, 1, 1.0),
        ("exact_match", {"b": 2, "a": 1}, '{"a": 1, "b": 2}', 1.0),
        ("exact_match", None, "yes", 0.0),
        ("exact_match", "yes", None, None),
        ("contains", "The capital is Paris.", "paris", 1.0),
        ("contains:ignore_case=false", "The capital is Paris.", "paris", 0.0),
        ("contains", "The capital is Lyon.", "Paris", 0.0),
        ("contains:value=capital", "The capital is Lyon.", None, 1.0),
        ("contains:value=Rome", "The capital is Lyon.", "Lyon", 0.0),
        ("contains", "anything", None, None),
        ("regex:pattern=^yes", "yes sir", None, 1.0),
        ("regex:pattern=^yes", "Yes sir", None, 0.0),
        ("regex:pattern=^yes,ignore_case=true", "Yes sir", None, 1.0),
        (r"regex:pattern=^\d{3}-\d{4}$", "555-1234", None, 1.0),
        (r"regex:pattern=^\d{3}-\d{4}$", "call 555-1234", None, 0.0),
        ("numeric_tolerance", "42", 42, 1.0),
        ("numeric_tolerance", "42.00001", 42, 0.0),
        ("numeric_tolerance:tolerance=0.01", "3.14159", 3.14, 1.0),
        ("numeric_tolerance", "3.14159", 3.14, 0.0),
        ("numeric_tolerance:relative=0.001", "3.14159", 3.14, 1.0),
        ("numeric_tolerance:relative=0.0001", "3.14159", 3.14, 0.0),
        ("numeric_tolerance", "The answer is 42.", "42", 1.0),
        ("numeric_tolerance", "-1e3", -1000, 1.0),
        ("numeric_tolerance", "n/a", 42, 0.0),
        ("numeric_tolerance", True, 1, 0.0),
        ("numeric_tolerance", "42", "forty-two", None),
        ("json_valid", '{"a": [1, 2]}', None, 1.0),
        ("json_valid", " 42 ", None, 1.0),
        ("json_valid", "{a: 1}", None, 0.0),
        ("json_valid", "```json\n{}\n```", None, 0.0),
        ("json_valid", {"already": "parsed"}, None, 1.0),
        ("json_valid", None, None, 0.0),
    ],
)
def test_matching_scorers(spec: str, output: Any, expected: Any, want: float | None) -> None:
    assert score(spec, output, expected) == want


def test_json_schema_with_an_inline_schema() -> None:
    spec = (
        'json_schema:schema={"type": "object", "required": ["label"],'
        ' "properties": {"label": {"enum": ["pos", "neg"]}}}'
    )
    assert score(spec, '{"label": "pos", "why": "nice"}') == 1.0
    assert score(spec, {"label": "neg"}) == 1.0
    assert score(spec, '{"label": "meh"}') == 0.0
    assert score(spec, '{"why": "no label"}') == 0.0
    assert score(spec, "not json") == 0.0
    assert score(spec, "[]") == 0.0


def test_failed_cases_score_zero_and_none_is_left_out_of_the_mean() -> None:
    cases = [case("yes", "yes"), case("no", "yes"), case("yes", None), case(None, "yes", "boom")]
    scored, metrics, details = score_cases(cases, ["exact_match", "json_valid", "contains:value=y"])
    assert [c.scores["exact_match"] for c in scored] == [1.0, 0.0, None, 0.0]
    assert metrics["exact_match"] == pytest.approx(1 / 3)
    assert metrics["json_valid"] == 0.0  # "yes" is not JSON, the failure scores 0
    assert metrics["contains"] == pytest.approx(2 / 4)
    assert metrics["errors"] == 1.0 and metrics["error_rate"] == 0.25
    assert details == {}


def test_a_scorer_with_no_scorable_case_has_no_metric_and_says_why() -> None:
    _, metrics, details = score_cases([case("1"), case("2")], ["numeric_tolerance"])
    assert "numeric_tolerance" not in metrics
    assert details["numeric_tolerance"] == {"skipped": "no case could be scored"}


# --- ROUGE-L, checked by hand -------------------------------------------------------------


def test_rouge_tokens_are_lower_case_ascii_letters_and_digits() -> None:
    assert tokens("The Cat's 2 hats, café!") == ["the", "cat", "s", "2", "hats", "caf"]
    assert tokens("  ...  ") == []


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        ("the cat sat on the mat".split(), "the cat lay on the mat".split(), 5),
        ("police killed the gunman".split(), "the gunman kill police".split(), 2),
        ("a b c d e".split(), "a c e".split(), 3),
        ("a b".split(), [], 0),
        ("abcbdab", "bdcaba", 4),  # the textbook example (CLRS)
    ],
)
def test_lcs_length(a: Any, b: Any, want: int) -> None:
    assert lcs_length(a, b) == want
    assert lcs_length(b, a) == want


@pytest.mark.parametrize(
    ("prediction", "reference", "want"),
    [
        ("the cat lay on the mat", "the cat sat on the mat", 5 / 6),  # P = R = 5/6
        ("the gunman kill police", "police killed the gunman", 0.5),  # Lin (2004): LCS 2 of 4
        ("police kill the gunman", "police killed the gunman", 0.75),  # LCS 3 of 4
        ("a c e", "a b c d e", 0.75),  # P = 1, R = 3/5, F = 2·0.6/1.6
        ("a b c d e", "a c e", 0.75),  # symmetric F
        ("The Cat!!", "the cat", 1.0),
        ("", "the cat", 0.0),
        ("dog", "the cat", 0.0),
    ],
)
def test_rouge_l_known_values(prediction: str, reference: str, want: float) -> None:
    assert rouge_l_score(prediction, reference) == pytest.approx(want)
    assert score("rouge_l", prediction, reference) == pytest.approx(want)


def test_rouge_l_needs_an_expected_text() -> None:
    assert score("rouge_l", "something", None) is None


# --- how values are read ------------------------------------------------------------------


def test_values_are_normalised_once_for_every_scorer() -> None:
    assert as_text(None) == "" and as_text(2.0) == "2" and as_text(2.5) == "2.5"
    assert as_text(True) == "true" and as_text([1, "a"]) == '[1, "a"]'
    assert label_of(" positive\n") == "positive" and label_of(1.0) == "1" and label_of(None) is None
    assert as_number("  7 ") == 7.0 and as_number("7 apples") is None
    assert as_number("7 apples", search=True) == 7.0 and as_number(float("nan")) is None
    assert as_number("inf") is None and as_number(False) is None
