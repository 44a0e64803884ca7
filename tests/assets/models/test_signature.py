"""Signatures: inference from samples, enforcement on predict input, JSON round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shipyard.assets.models import Column, Output, Signature, infer_signature
from shipyard.core.errors import InvalidInput


@pytest.fixture
def signature() -> Signature:
    return Signature(
        inputs=(
            Column("age", "integer"),
            Column("income", "float", nullable=True),
            Column("city", "string"),
            Column("member", "boolean"),
            Column("joined", "datetime"),
        )
    )


def test_infers_every_type_from_a_dataframe() -> None:
    frame = pd.DataFrame(
        {
            "age": [30, 41],
            "income": [1.5, None],
            "city": ["Oslo", "Lima"],
            "member": [True, False],
            "joined": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "tier": pd.Categorical(["gold", "silver"]),
            "score": pd.array([1, None], dtype="Int64"),
        }
    )
    signature = infer_signature(frame)
    assert [(c.name, c.type, c.nullable) for c in signature.inputs] == [
        ("age", "integer", False),
        ("income", "float", True),
        ("city", "string", False),
        ("member", "boolean", False),
        ("joined", "datetime", False),
        ("tier", "string", False),
        ("score", "integer", True),
    ]
    assert signature.output is None


def test_infers_from_dict_of_lists_records_and_numpy() -> None:
    by_columns = infer_signature({"a": [1, 2], "b": ["x", None]})
    assert [str(c) for c in by_columns.inputs] == ["a (integer)", "b (string, nullable)"]
    records = infer_signature([{"a": 1, "b": 2.5}, {"a": 3, "b": 1}])
    assert [(c.name, c.type) for c in records.inputs] == [("a", "integer"), ("b", "float")]
    array = infer_signature(np.zeros((4, 3)))
    assert array.names == ["f0", "f1", "f2"]
    assert {c.type for c in array.inputs} == {"float"}


def test_output_is_described_by_type_and_shape() -> None:
    assert infer_signature({"a": [1]}, np.array([0, 1])).output == Output("integer", (-1,))
    assert infer_signature({"a": [1]}, np.zeros((2, 3))).output == Output("float", (-1, 3))
    table = infer_signature({"a": [1]}, pd.DataFrame({"label": ["x"], "p": [0.5]})).output
    assert table == Output("table", columns=(Column("label", "string"), Column("p", "float")))


def test_nullable_can_be_declared_for_columns_without_nulls_in_the_sample() -> None:
    signature = infer_signature({"a": [1.0, 2.0]}, nullable=["a"])
    assert signature.inputs[0].nullable
    with pytest.raises(InvalidInput, match=r"nullable names columns the sample does not have"):
        infer_signature({"a": [1.0]}, nullable=["b"])


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        (pd.DataFrame(np.zeros((1, 2))), r"column names must be strings, got 0 \(int\)"),
        ({"a": [1, "x"]}, r"column 'a' holds mixed-integer values"),
        ({"a": [None, None]}, r"column 'a' has only nulls in the sample"),
        ({"a": [complex(1, 2)]}, r"column 'a' holds complex"),
        (np.zeros(3), r"a 1-D array cannot be model input"),
        ("text", r"cannot read a str as model input"),
        ([], r"the model input is empty"),
    ],
)
def test_uninferable_samples_are_refused_clearly(sample: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        infer_signature(sample)


def test_round_trips_through_a_dict(signature: Signature) -> None:
    with_output = Signature(signature.inputs, Output("float", (-1, 3)))
    for sig in (signature, with_output, infer_signature({"a": [1]}, pd.DataFrame({"y": [1.0]}))):
        assert Signature.from_dict(sig.to_dict()) == sig


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"inputs": [{"name": "a"}]},
        {"inputs": [{"name": "a", "type": "decimal"}]},
        {"inputs": []},
    ],
)
def test_from_dict_refuses_what_is_not_a_signature(body: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Signature.from_dict(body)


def test_missing_columns_are_named_all_at_once(signature: Signature) -> None:
    with pytest.raises(
        InvalidInput, match=r"missing column\(s\) 'city', 'joined'; the model expects: age"
    ):
        signature.validate({"age": [1], "income": [1.0], "member": [True]})


def test_extra_columns_are_dropped_and_order_follows_the_signature(signature: Signature) -> None:
    frame = signature.validate(
        {
            "joined": ["2024-03-01T10:00:00"],
            "extra": ["ignored"],
            "member": [True],
            "city": ["Oslo"],
            "income": [7],
            "age": [40.0],
        }
    )
    assert list(frame.columns) == ["age", "income", "city", "member", "joined"]
    assert frame["age"].dtype == np.int64 and frame["age"].iloc[0] == 40
    assert frame["income"].dtype == np.float64 and frame["income"].iloc[0] == 7.0
    assert frame["joined"].iloc[0] == pd.Timestamp("2024-03-01 10:00:00")


def test_a_string_in_a_float_column_names_column_value_and_row() -> None:
    signature = infer_signature({"x": [1.0], "y": [2.0]})
    bad = pd.DataFrame({"x": [1.0, 2.0, "abc"], "y": [1.0, 2.0, 3.0]}, index=[10, 11, 12])
    with pytest.raises(
        InvalidInput, match=r"column 'x' \(float\): 'abc' \(str\) at row 12 is not a number"
    ):
        signature.validate(bad)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("age", "41", r"column 'age' \(integer\): '41' \(str\) at row 0 is not an integer"),
        ("age", 41.5, r"column 'age' \(integer\): 41.5 \(float\) at row 0 is not a whole number"),
        ("age", True, r"column 'age' \(integer\): True \(bool\) at row 0 is not an integer"),
        ("income", True, r"column 'income' \(float\): True \(bool\) at row 0 is not a number"),
        ("city", 3, r"column 'city' \(string\): 3 \(int\) at row 0 is not a string"),
        ("member", 1, r"column 'member' \(boolean\): 1 \(int\) at row 0 is not true/false"),
        (
            "joined",
            "soon",
            r"column 'joined' \(datetime\): 'soon' \(str\) at row 0 is not a datetime",
        ),
    ],
)
def test_wrong_types_are_refused_with_the_value(
    signature: Signature, column: str, value: object, message: str
) -> None:
    row: dict[str, object] = {
        "age": 41,
        "income": 1.0,
        "city": "Oslo",
        "member": True,
        "joined": "2024-01-01",
    }
    row[column] = value
    with pytest.raises(InvalidInput, match=message):
        signature.validate(pd.DataFrame([row], dtype=object))


def test_nulls_are_refused_only_where_the_signature_forbids_them(signature: Signature) -> None:
    rows = [
        {"age": 1, "income": None, "city": "a", "member": True, "joined": "2024-01-01"},
        {"age": 2, "income": 2.0, "city": None, "member": False, "joined": "2024-01-02"},
    ]
    with pytest.raises(InvalidInput, match=r"column 'city' has a null at row 1") as info:
        signature.validate(rows)
    assert "income" not in str(info.value)
    rows[1]["city"] = "b"
    assert signature.validate(rows)["income"].isna().tolist() == [True, False]


def test_every_bad_column_is_reported_in_one_error(signature: Signature) -> None:
    row = {"age": "x", "income": "y", "city": "a", "member": True, "joined": "2024-01-01"}
    with pytest.raises(InvalidInput) as info:
        signature.validate([row])
    assert "'age'" in info.value.message and "'income'" in info.value.message


def test_positional_input_takes_the_signature_names() -> None:
    signature = infer_signature(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    frame = signature.validate(np.array([[1, 2], [3, 4]]))
    assert list(frame.columns) == ["a", "b"] and frame["a"].dtype == np.float64
    assert signature.validate([[1.0, 2.0]]).shape == (1, 2)
    with pytest.raises(
        InvalidInput, match=r"the input has 3 columns but the model expects 2: a, b"
    ):
        signature.validate(np.zeros((1, 3)))


def test_one_row_as_a_dict_of_scalars() -> None:
    signature = infer_signature({"a": [1.0], "b": ["x"]})
    frame = signature.validate({"b": "y", "a": 3})
    assert frame.to_dict("records") == [{"a": 3.0, "b": "y"}]


def test_whole_floats_fit_integer_columns_and_nulls_stay_nullable() -> None:
    signature = infer_signature(pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}))
    assert str(signature.validate({"n": [1.0, np.nan]})["n"].dtype) == "Int64"
    assert signature.validate({"n": [1, 2]})["n"].dtype == np.int64


def test_an_all_null_nullable_column_gets_the_signature_type() -> None:
    signature = Signature((Column("when", "datetime", nullable=True), Column("x", "float")))
    frame = signature.validate({"when": [None, None], "x": [1, 2]})
    assert pd.api.types.is_datetime64_any_dtype(frame["when"])


def test_column_types_are_checked() -> None:
    with pytest.raises(InvalidInput, match=r"unknown type 'decimal'; use one of: integer"):
        Column("a", "decimal")
    with pytest.raises(InvalidInput, match=r"repeated: \['a'\]"):
        Signature((Column("a", "float"), Column("a", "float")))


def test_a_repeated_index_is_kept_and_integer_column_names_do_not_match() -> None:
    signature = infer_signature({"a": [1.0], "b": [2]})
    frame = signature.validate(pd.DataFrame({"b": [1, 2], "a": [3, 4]}, index=[7, 7]))
    assert frame.index.tolist() == [7, 7] and frame["a"].tolist() == [3.0, 4.0]
    with pytest.raises(InvalidInput, match=r"missing column\(s\) 'a', 'b'"):
        signature.validate(pd.DataFrame(np.zeros((1, 2))))
