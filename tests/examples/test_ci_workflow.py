"""examples/ci: the GitHub Actions workflow parses, its commands run, and its policy holds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

import shipyard as sy
from shipyard.cli.main import main
from shipyard.pipelines.loader import import_file

ROOT = Path(__file__).parents[2]
CI = ROOT / "examples" / "ci"
WORKFLOW = CI / "gate-on-pull-request.yml"
POLICY = CI / "gates.yaml"


def workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def run_lines() -> list[str]:
    """Every line of every ``run:`` block, in order."""
    lines = []
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                lines += [line.strip() for line in step["run"].splitlines() if line.strip()]
    return lines


def test_the_workflow_is_a_pull_request_job_that_gates() -> None:
    document = workflow()
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers and "candidate" in triggers["workflow_dispatch"]["inputs"]
    (job,) = document["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    steps = {step.get("name"): step for step in job["steps"]}
    gate = steps["Check the gate"]
    assert "shipyard gate check --policy examples/ci/gates.yaml" in gate["run"]
    assert "inputs.candidate" in gate["env"]["CANDIDATE"]
    # every file a step runs is in the repository
    for line in run_lines():
        for path in re.findall(r"(examples/\S+\.(?:py|yaml))", line):
            assert (ROOT / path).is_file(), path


def test_the_sample_policy_loads_and_validates() -> None:
    from shipyard.evals.promotion import read_policy, validate_policy

    policy = read_policy(POLICY)
    validate_policy(policy, "model")
    assert policy.data == "dataset:sentiment-eval@latest" and policy.baseline == "production"
    assert "verdict != significantly_worse" in [c.text for c in policy.conditions]


def test_every_shipyard_command_of_the_workflow_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """The workflow's commands against a workspace holding the example's data and classifier."""
    monkeypatch.chdir(ROOT)  # the workflow runs from the repository's root
    data = import_file(ROOT / "examples" / "sentiment" / "data.py").register_datasets()
    classic = import_file(ROOT / "examples" / "sentiment" / "classic.py")
    train = sy.datasets.load(data.train)
    model = classic.make_classifier().fit(train[[classic.TEXT]], train[classic.LABEL])
    version = sy.models.register(model, classic.MODEL, sample_input=train[[classic.TEXT]].head(5))

    commands = [line for line in run_lines() if line.startswith("shipyard ")]
    assert any(c.startswith("shipyard gate check") for c in commands)
    for command in commands:
        argv = shlex.split(command.replace("$CANDIDATE", version.ref))[1:]
        assert main(argv) == 0, (command, capsys.readouterr().err)
    out = capsys.readouterr().out
    assert "gate sentiment-release: PASSED" in out
