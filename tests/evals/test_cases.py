"""Eval datasets: one shape (``expected`` + inputs + ``meta.*``) from every form of data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import shipyard as sy
from shipyard.core.errors import InvalidInput
from shipyard.evals.cases import create_dataset, derived_labels, load_cases
from shipyard.evals.results import CaseResult

ROWS = [
    {"text": "great film", "sentiment": "positive", "meta.source": "written"},
    {"text": "dull and long", "sentiment": "negative", "meta.source": "written"},
    {"text": "loved it", "sentiment": "positive", "meta.source": "generated"},
]


def _expect_rows(cases: list[CaseResult]) -> None:
    assert [c.index for c in cases] == [0, 1, 2]
    assert [dict(c.inputs) for c in cases] == [{"text": r["text"]} for r in ROWS]
    assert [c.expected for c in cases] == [r["sentiment"] for r in ROWS]
    assert [dict(c.metadata) for c in cases] == [{"source": r["meta.source"]} for r in ROWS]
    assert all(c.output is None and c.error is None and not c.scores for c in cases)


def test_from_a_list_of_dicts() -> None:
    version = create_dataset("reviews", ROWS, expected="sentiment")
    assert version.ref == "dataset:reviews@1"
    assert version.metadata["eval"] == {
        "expected": "expected",
        "inputs": ["text"],
        "metadata": ["meta.source"],
        "cases": 3,
    }
    assert version.metadata["num_rows"] == 3
    got, cases = load_cases("dataset:reviews@1")
    assert got == version
    _expect_rows(cases)
    # an ordinary dataset version: the usual API reads it, with the answer column renamed
    frame = sy.datasets.load("dataset:reviews@1")
    assert list(frame.columns) == ["text", "expected", "meta.source"]


def test_from_a_dataframe_csv_and_jsonl_give_the_same_content(tmp_path: Path) -> None:
    frame = pd.DataFrame(ROWS)
    csv = tmp_path / "reviews.csv"
    frame.to_csv(csv, index=False)
    jsonl = tmp_path / "reviews.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n\n", encoding="utf-8")
    a = create_dataset("from-frame", frame, expected="sentiment")
    b = create_dataset("from-csv", csv, expected="sentiment")
    c = create_dataset("from-jsonl", str(jsonl), expected="sentiment")
    d = create_dataset("from-arrow", pa.Table.from_pylist(ROWS), expected="sentiment")
    assert a.digest == b.digest == c.digest == d.digest
    for version in (a, b, c, d):
        _expect_rows(load_cases(version.ref)[1])


def test_identical_content_is_one_version() -> None:
    one = create_dataset("reviews", ROWS, expected="sentiment")
    again = create_dataset("reviews", [dict(r) for r in ROWS], expected="sentiment")
    assert again.ref == one.ref


def test_missing_expected_column_names_the_columns_and_the_fix() -> None:
    with pytest.raises(InvalidInput) as err:
        create_dataset("reviews", ROWS)
    assert str(err.value) == (
        "the data for dataset:reviews has no column 'expected' "
        "(columns: text, sentiment, meta.source); name the column with --expected"
    )
    sy.datasets.register(pd.DataFrame(ROWS), "plain")
    with pytest.raises(InvalidInput) as err:
        load_cases("dataset:plain@1")
    assert str(err.value) == (
        "dataset:plain@1 has no column 'expected' (columns: text, sentiment, meta.source); "
        "name the column with --expected"
    )
    # the answer column of any dataset can be named when loading
    _, cases = load_cases("dataset:plain@1", expected="sentiment")
    assert [c.expected for c in cases] == ["positive", "negative", "positive"]
    assert [dict(c.inputs) for c in cases] == [{"text": r["text"]} for r in ROWS]


def test_inputs_pick_columns() -> None:
    rows = [
        {"a": 1, "b": 2.5, "c": "x", "expected": 3},
        {"a": 2, "b": 0.5, "c": "y", "expected": 4},
    ]
    version = create_dataset("numbers", rows, inputs=["b", "a"])
    assert version.metadata["eval"]["inputs"] == ["b", "a"]
    _, cases = load_cases(version.ref)
    assert [dict(c.inputs) for c in cases] == [{"b": 2.5, "a": 1}, {"b": 0.5, "a": 2}]
    _, only_a = load_cases(version.ref, inputs=["a"])
    assert [dict(c.inputs) for c in only_a] == [{"a": 1}, {"a": 2}]
    with pytest.raises(InvalidInput, match=r"has no input column\(s\) 'c'.*input columns: b, a"):
        load_cases(version.ref, inputs=["c"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "has no cases"),
        ([{"text": "x", "expected": "a"}, "oops"], "case 1 is a str"),
        ([{"expected": "a"}], "has no input columns"),
        ([{"text": "x", "label": "a", "expected": "b"}], "has both 'label' and 'expected'"),
        ([{"text": "x", "expected": 1}, {"text": "y", "expected": "z"}], "values of one type"),
    ],
)
def test_bad_data_is_refused(data: object, message: str) -> None:
    expected = "label" if "label" in message else "expected"
    with pytest.raises(InvalidInput, match=message):
        create_dataset("bad", data, expected=expected)


def test_bad_json_lines_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"text": "a", "expected": "x"}\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"cases\.jsonl line 2 is not valid JSON"):
        create_dataset("bad", path)
    with pytest.raises(InvalidInput, match="no such file"):
        create_dataset("bad", tmp_path / "missing.jsonl")


def test_nested_and_missing_values_round_trip() -> None:
    rows = [
        {"question": "q1", "context": {"doc": "a", "page": 1}, "expected": ["x", "y"]},
        {"question": "q2", "expected": ["z"]},
    ]
    version = create_dataset("qa", rows)
    _, cases = load_cases(version.ref)
    assert dict(cases[0].inputs) == {"question": "q1", "context": {"doc": "a", "page": 1}}
    assert dict(cases[1].inputs) == {"question": "q2", "context": None}
    assert [c.expected for c in cases] == [["x", "y"], ["z"]]


def test_derived_labels() -> None:
    def cases(*values: object) -> list[CaseResult]:
        return [CaseResult(index=i, inputs={}, expected=v) for i, v in enumerate(values)]

    assert derived_labels(cases("pos", "neg", "pos", "neutral")) == ["neg", "neutral", "pos"]
    assert derived_labels(cases("a", "b", "c")) == []  # every answer different: references
    assert derived_labels(cases(1, 0, 1)) == []  # numbers are not text labels
    assert derived_labels(cases("a\nb", "a\nb")) == []
    assert derived_labels(cases(*[f"l{i % 30}" for i in range(100)])) == []  # too many
