"""``shipyard prompts list`` and ``shipyard prompts diff`` through the real entry point."""

from __future__ import annotations

import json
from typing import Any

import pytest

import shipyard as sy
from shipyard.cli.main import main
from shipyard.cli.prompts import _diff_style
from shipyard.core.refs import parse_ref
from shipyard.workspace import current_workspace

V1 = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{ question }}"}]
V2 = [
    {"role": "system", "content": "Be brief and kind."},
    {"role": "user", "content": "{{ question }}"},
]


@pytest.fixture
def support() -> None:
    sy.prompts.create("support", V1, model={"provider": "echo", "model": "echo"})
    sy.prompts.create("support", V2, model={"provider": "echo", "model": "echo"})
    current_workspace().store.aliases.move(parse_ref("prompt:support@1"), "production")


def test_list_empty_then_a_table_and_json(capsys: Any, support: None) -> None:
    sy.prompts.create("qa", "Q: {{ q }}\nA:")
    assert main(["prompts", "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "prompt:" in line}
    assert set(lines) == {"prompt:support", "prompt:qa"}
    support_row = [cell.strip() for cell in lines["prompt:support"].split("│")[1:-1]]
    assert support_row[:5] == ["prompt:support", "2", "production→1", "question", "echo/echo"]
    qa_row = [cell.strip() for cell in lines["prompt:qa"].split("│")[1:-1]]
    assert qa_row[:5] == ["prompt:qa", "1", "–", "q", "–"]

    assert main(["prompts", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["support"]["ref"] == "prompt:support@2"
    assert rows["support"]["aliases"] == {"production": 1} and rows["support"]["versions"] == 2
    assert rows["qa"]["variables"] == ["q"] and rows["qa"]["model"] is None
    assert isinstance(rows["qa"]["updated_at"], int)


def test_list_with_no_prompts(capsys: Any) -> None:
    assert main(["prompts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["prompts", "list"]) == 0
    assert "prompt:" not in capsys.readouterr().out


def test_diff_two_versions(capsys: Any, support: None) -> None:
    assert main(["prompts", "diff", "prompt:support@1", "prompt:support@2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["--- prompt:support@1", "+++ prompt:support@2"]
    assert "-Be brief." in out and "+Be brief and kind." in out
    assert " {{ question }}" in out  # unchanged lines are context

    for args in (["support@production", "@2"], ["prompt:support@1", "2"], ["prompt:support@2"]):
        assert main(["prompts", "diff", *args, "--json"]) == 0, args
        body = json.loads(capsys.readouterr().out)
        assert (body["old"], body["new"], body["identical"]) == (
            "prompt:support@1",
            "prompt:support@2",
            False,
        )
        assert "+Be brief and kind." in body["diff"]


def test_diff_of_identical_versions_says_so(capsys: Any, support: None) -> None:
    assert main(["prompts", "diff", "prompt:support@2", "prompt:support@latest"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "hold the same prompt" in captured.err
    assert main(["prompts", "diff", "prompt:support@2", "@2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["diff"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prompt:ghost@1", "@2"], "no prompt named 'ghost'"),
        (["prompt:support@1", "@9"], "has no version 9"),
        (["prompt:support@1"], "is the first version"),
        (["dataset:support@1", "@2"], "a prompt is needed"),
        (["prompt:support@1", "model:support@2"], "a prompt is needed"),
        (["prompt:support@", "@2"], "ends with '@'"),
    ],
)
def test_bad_refs_are_one_line_and_exit_2(
    capsys: Any, support: None, args: list[str], message: str
) -> None:
    assert main(["prompts", "diff", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_diff_colours() -> None:
    styles = [_diff_style(x) for x in ("--- a", "+++ b", "@@ -1 +1 @@", "+new", "-old", " same")]
    assert styles == ["bold", "bold", "cyan", "green", "red", None]
