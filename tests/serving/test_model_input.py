"""Reading request bodies: every accepted form gives the same columns; errors name the column."""

from __future__ import annotations

import pytest

from shipyard.assets.models.signature import Column, Signature
from shipyard.core.errors import InvalidInput
from shipyard.serving.model_input import InputReader, decode_body

SIGNATURE = Signature(
    inputs=(
        Column("income", "float"),
        Column("age", "integer", nullable=True),
        Column("city", "string"),
        Column("member", "boolean"),
        Column("since", "datetime"),
    )
)
ROWS = [
    {"income": 52.5, "age": 31, "city": "Oslo", "member": True, "since": "2020-01-02"},
    {"income": 40, "age": None, "city": "Rome", "member": False, "since": "2021-03-04"},
]
COLUMNS = {k: [r[k] for r in ROWS] for k in ROWS[0]}
NAMES = list(ROWS[0])


@pytest.mark.parametrize(
    "payload",
    [
        {"records": ROWS},
        ROWS,
        {"columns": COLUMNS},
        {"dataframe_records": ROWS},
        {"dataframe_split": {"columns": NAMES, "data": [[r[k] for k in NAMES] for r in ROWS]}},
        {"columns": NAMES, "data": [[r[k] for k in NAMES] for r in ROWS], "index": [0, 1]},
        {"inputs": COLUMNS},
        {"inputs": ROWS},
        {"instances": ROWS},
        [[r[k] for k in NAMES] for r in ROWS],  # positional rows in signature order
    ],
)
def test_every_form_reads_to_the_same_columns(payload) -> None:
    got = InputReader(SIGNATURE).read(payload)
    assert got.rows == 2
    assert got.columns == COLUMNS
    assert list(got.columns) == NAMES


def test_one_row_of_scalars_and_extra_columns() -> None:
    one = InputReader(SIGNATURE).read({"columns": {**ROWS[0], "extra": "x"}})
    assert one.rows == 1 and one.columns == {k: [v] for k, v in ROWS[0].items()}


def test_a_key_missing_from_some_records_is_a_null() -> None:
    partial = [dict(ROWS[0]), {k: v for k, v in ROWS[1].items() if k != "age"}]
    assert InputReader(SIGNATURE).read(partial).columns["age"] == [31, None]
    partial = [dict(ROWS[0]), {k: v for k, v in ROWS[1].items() if k != "city"}]
    with pytest.raises(InvalidInput, match=r"column 'city' has a null at row 1"):
        InputReader(SIGNATURE).read(partial)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"income": "52"}, r"column 'income' \(float\): '52' \(string\) at row 0 is not a number"),
        ({"income": True}, r"column 'income' \(float\): True \(boolean\)"),
        ({"income": [1]}, r"column 'income' \(float\): \[1\] \(array\)"),
        ({"income": float("nan")}, r"column 'income' has a null at row 0"),
        ({"age": 3.5}, r"column 'age' \(integer\): 3.5 \(number\) at row 0 is not an integer"),
        ({"city": 7}, r"column 'city' \(string\): 7 \(number\) at row 0 is not a string"),
        ({"member": "yes"}, r"column 'member' \(boolean\): 'yes'"),
        ({"since": 2020}, r"column 'since' \(datetime\): 2020"),
    ],
)
def test_type_errors_name_column_value_and_row(change, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        InputReader(SIGNATURE).read([{**ROWS[0], **change}])


def test_whole_floats_are_integers_and_several_problems_are_listed() -> None:
    assert InputReader(SIGNATURE).read([{**ROWS[0], "age": 31.0}]).columns["age"] == [31.0]
    with pytest.raises(InvalidInput) as info:
        InputReader(SIGNATURE).read([{**ROWS[0], "income": "x", "city": None}])
    assert "'income'" in info.value.message and "'city'" in info.value.message


def test_missing_columns_are_named_all_at_once() -> None:
    with pytest.raises(InvalidInput, match=r"missing column\(s\) 'income', 'city'"):
        InputReader(SIGNATURE).read([{"age": 1, "member": True, "since": "2020-01-01"}])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"records": "x"}, "records must be a list of row objects"),
        ({"records": [1, 2]}, "row 0 of records is a JSON number"),
        ({"columns": [1]}, "must be an object of column name"),
        ({"columns": {**COLUMNS, "income": 5}}, "column 'income' in columns must be a list"),
        ({"dataframe_split": [1]}, "dataframe_split"),
        (
            {"dataframe_split": {"columns": NAMES, "data": [[1]]}},
            "row 0 of dataframe_split has 1 values",
        ),
        ({"columns": NAMES, "data": "x"}, '"data" of the body must be a list of rows'),
        ({}, "none of the expected keys"),
        (5, "cannot read a JSON number"),
        ([], "no rows"),
    ],
)
def test_malformed_bodies_say_what_is_expected(payload, message) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        InputReader(SIGNATURE).read(payload)


def test_decode_body_errors() -> None:
    assert decode_body(b'{"a": 1}') == {"a": 1}
    with pytest.raises(InvalidInput, match="not valid JSON: Expecting value at line 1 column 1"):
        decode_body(b"nope")
    with pytest.raises(InvalidInput, match="empty"):
        decode_body(b"  ")
