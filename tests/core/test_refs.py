"""Asset references: every form parses, every mistake names the part that is wrong."""

from __future__ import annotations

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.core.refs import AssetRef, check_alias, parse_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dataset:credit@3", AssetRef("dataset", "credit", version=3)),
        ("model:churn@production", AssetRef("model", "churn", alias="production")),
        ("prompt:support", AssetRef("prompt", "support")),
        ("prompt:support@latest", AssetRef("prompt", "support")),
        ("index:python-docs@12", AssetRef("index", "python-docs", version=12)),
        ("  model:a.b_c-1@champion  ", AssetRef("model", "a.b_c-1", alias="champion")),
    ],
)
def test_forms(text: str, expected: AssetRef) -> None:
    assert parse_ref(text) == expected


def test_default_kind_and_round_trip() -> None:
    assert parse_ref("credit@3", "dataset") == AssetRef("dataset", "credit", version=3)
    assert str(parse_ref("model:churn")) == "model:churn@latest"
    assert parse_ref("model:churn@2").base == "model:churn"


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("", None, "empty asset reference"),
        ("credit", None, "has no kind"),
        ("datset:credit", None, "did you mean 'dataset'"),
        ("dataset:", None, "has no name"),
        ("dataset:cre dit", None, "asset name 'cre dit' is not valid"),
        ("dataset:credit@", None, "ends with '@'"),
        ("dataset:credit@0", None, "versions start at 1"),
        ("dataset:credit@Prod!", None, "neither a version number nor a valid alias"),
        ("model:churn@1", "dataset", "is a model reference; a dataset is needed"),
        ("dataset:" + "x" * 200, None, "is not valid"),
    ],
)
def test_mistakes_name_the_wrong_part(text: str, kind: str | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        parse_ref(text, kind)


def test_latest_is_not_an_alias_you_can_move() -> None:
    with pytest.raises(InvalidInput, match="latest"):
        check_alias("latest")
    with pytest.raises(InvalidInput, match="not valid"):
        check_alias("Production")
