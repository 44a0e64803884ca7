"""``shipyard prompts test``: a prompt version's evaluation, checked before it goes live.

The prompts run on the ``echo`` model (pinned in their settings, so no
``--model``): version 1 echoes the review, whose first word is its label, so
it is always right; version 2 prefixes "negative", so it is right on half.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import shipyard as sy
from shipyard.cli.main import main
from shipyard.core.refs import parse_ref
from shipyard.evals.cases import create_dataset
from shipyard.workspace import current_workspace

ECHO = {"provider": "echo", "model": "echo"}
GATE = """\
name: label-release
data: dataset:reviews@latest
scorers: [accuracy]
baseline: production
conditions:
  - accuracy >= 0.9
  - verdict != significantly_worse
"""


@pytest.fixture
def label() -> None:
    rows = [
        {"text": f"{kind} review number {i}", "expected": kind}
        for i in range(60)
        for kind in [("positive", "negative")[i % 2]]
    ]
    create_dataset("reviews", rows)
    sy.prompts.create("label", "{{ text }}", model=ECHO)
    sy.prompts.create("label", "negative, or {{ text }}", model=ECHO)
    current_workspace().store.aliases.move(parse_ref("prompt:label@1"), "production")


def gate_runs() -> list[Any]:
    return sy.search_runs("tags.`shipyard.kind` = 'gate'").runs


def test_a_worse_version_fails_against_production(label: None, capsys: Any) -> None:
    argv = ["prompts", "test", "prompt:label@2", "--data", "dataset:reviews", "-s", "accuracy"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "verdict != significantly_worse" in out
    assert "accuracy" in out and "0.5" in out  # the metrics table of the evaluation

    assert main([*argv, "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is False and result["verdict"] == "significantly_worse"
    assert result["candidate"]["target"] == "prompt:label@2"
    assert result["candidate"]["model"] == "echo/echo"  # the model the prompt pins
    assert result["policy"]["conditions"] == ["errors == 0", "verdict != significantly_worse"]
    assert len(gate_runs()) == 2  # every check is recorded, refusals too


def test_the_live_version_passes_its_own_conditions(label: None, capsys: Any) -> None:
    argv = ["prompts", "test", "prompt:label@1", "-d", "dataset:reviews", "-s", "accuracy"]
    assert main([*argv, "-c", "accuracy >= 0.9", "-c", "p95_latency_ms < 5000", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is True and result["verdict"] is None  # production is this version
    assert [c["status"] for c in result["conditions"]] == ["pass", "pass", "pass"]

    assert main([*argv, "-c", "accuracy >= 1.5"]) == 1
    assert "gate test of prompt:label@1: FAILED" in capsys.readouterr().out


def test_without_data_the_gate_of_the_alias_runs(label: None, tmp_path: Path, capsys: Any) -> None:
    policy = tmp_path / "gates.yaml"
    policy.write_text(GATE, encoding="utf-8")
    assert main(["gate", "set", "prompt:label", "--alias", "production", "-p", str(policy)]) == 0
    capsys.readouterr()
    assert main(["prompts", "test", "prompt:label@2", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["policy"]["name"] == "label-release"
    assert {c["text"]: c["status"] for c in result["conditions"]} == {
        "accuracy >= 0.9": "fail",
        "verdict != significantly_worse": "fail",
    }
    assert main(["prompts", "test", "prompt:label@2", "--policy", str(policy)]) == 1
    assert "gate label-release: FAILED" in capsys.readouterr().out
    argv = ["prompts", "test", "prompt:label@2", "-p", str(policy), "-m", "echo/echo", "--json"]
    assert main(argv) == 1  # a --model given: the policy runs on it
    assert json.loads(capsys.readouterr().out)["policy"]["model"] == "echo/echo"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prompt:label@2"], "nothing to test prompt:label with: prompt:label@production has no"),
        (["prompt:label@2", "--against", ""], "no alias to take a gate from"),
        (["prompt:label@2", "-s", "accuracy"], "--scorer and --condition need --data"),
        (["prompt:label@2", "-d", "dataset:reviews", "-p", "x.yaml"], "either a policy or"),
        (["prompt:label@2", "-d", "dataset:reviews", "-c", "acuracy > 1"], "unknown metric"),
        (["prompt:label@9", "-d", "dataset:reviews"], "has no version 9"),
        (["prompt:label@2", "-d", "dataset:nope"], "nope"),
    ],
)
def test_mistakes_are_one_line_and_run_nothing(
    label: None, capsys: Any, argv: list[str], message: str
) -> None:
    assert main(["prompts", "test", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert gate_runs() == [] and sy.search_runs().runs == []
