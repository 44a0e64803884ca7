"""Gates wired to promotion: checks recorded as runs, aliases moved only through a passing gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.assets.aliases import move_alias, protect_alias
from shipyard.core.errors import Forbidden, InvalidInput
from shipyard.evals.promotion import attach_gate, promote, run_gate
from shipyard.evals.storage import list_evaluations
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import current_workspace

POLICY = """\
name: credit-release
data: dataset:credit-eval@latest
scorers: [accuracy, f1]
baseline: production
conditions:
  - accuracy >= 0.8
  - f1 >= production.f1 - 0.02
  - p95_latency_ms < 60000
  - verdict != significantly_worse
"""


def write(tmp_path: Path, text: str = POLICY, name: str = "gates.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def register(credit_data: Any, *, flipped: bool = False, c: float = 1.0) -> AssetVersion:
    """Another version of ``model:credit``: a close cousin, or one that learned the wrong answer."""
    labels = np.where(credit_data.labels == "yes", "no", "yes") if flipped else credit_data.labels
    model = LogisticRegression(max_iter=1000, C=c).fit(credit_data.frame, labels)
    return sy.models.register(model, "credit", sample_input=credit_data.frame.head(5))


def gate_runs() -> list[Any]:
    return sy.search_runs("tags.`shipyard.kind` = 'gate'").runs


def test_a_check_is_a_run_with_evidence_and_reuses_evaluations(
    credit_model: AssetVersion, credit_eval: AssetVersion, tmp_path: Path
) -> None:
    result = run_gate(write(tmp_path), "model:credit@latest", progress=False)
    assert result.passed and result.candidate["target"] == "model:credit@1"
    assert result.baselines == {"production": None}  # a first release: no baseline yet
    assert [r.status for r in result.conditions] == ["pass", "skip", "pass", "skip"]

    run = sy.get_run(result.run_id or "")
    assert run.experiment == "gates" and run.status == "finished"
    assert run.tags["shipyard.kind"] == "gate" and run.tags["shipyard.gate"] == "passed"
    assert run.tags["shipyard.candidate"] == "model:credit@1"
    assert run.metrics["passed"] == 1.0 and run.metrics["skipped_conditions"] == 2.0
    ws = current_workspace()
    edges = {(e.relation, e.version) for e in ws.store.lineage.edges(runs=[run.id])}
    assert edges == {("consumed", "model:credit@1")}
    (path,) = sy.download_artifacts(run.id, "gate.json", tmp_path / "out")
    evidence = json.loads(path.read_text("utf-8"))
    assert evidence == json.loads(result.evidence) and evidence["run_id"] == run.id
    (evaluation,) = list_evaluations()
    assert sy.get_run(evaluation.run_id).parent_id == run.id  # evaluated inside the check

    again = run_gate(write(tmp_path), "model:credit@1", progress=False)
    assert again.candidate["run_id"] == evaluation.run_id  # reused: same versions, same scorers
    assert len(list_evaluations()) == 1 and len(gate_runs()) == 2
    fresh = run_gate(write(tmp_path), "model:credit@1", reuse=False, progress=False)
    assert fresh.candidate["run_id"] != evaluation.run_id and len(list_evaluations()) == 2


def test_promotion_is_refused_by_a_failing_gate_and_allowed_by_a_passing_one(
    credit_model: AssetVersion, credit_eval: AssetVersion, credit_data: Any, tmp_path: Path
) -> None:
    attach_gate("model:credit", "production", POLICY, source="gates.yaml")
    # the first promotion: no baseline yet, so only the absolute conditions count
    move, first = promote("model:credit@1", "production", progress=False)
    assert move is not None and first is not None and first.passed
    assert (move.from_version, move.to_version) == (None, 1)

    bad = register(credit_data, flipped=True)
    move, refused = promote(bad.ref, "production", progress=False)
    assert move is None and refused is not None and not refused.passed
    failed = {c.text for c in refused.conditions if not c.passed}
    assert failed == {
        "accuracy >= 0.8",
        "f1 >= production.f1 - 0.02",
        "verdict != significantly_worse",
    }
    assert refused.verdict == "significantly_worse"
    assert sy.models.get("model:credit@production").version == 1  # unchanged
    refusal = sy.get_run(refused.run_id or "")
    assert (
        refusal.tags["shipyard.gate"] == "failed" and refusal.tags["shipyard.alias"] == "production"
    )

    good = register(credit_data, c=0.5)
    move, passed = promote(good.ref, "production", progress=False)
    assert move is not None and passed is not None and passed.passed
    assert (move.from_version, move.to_version) == (1, good.version)
    assert passed.baselines["production"] == first.candidate["run_id"]  # the v1 evaluation, reused
    moves = sy_history("model:credit", "production")
    recorded = next(m for m in moves if m.to_version == good.version)
    evidence = json.loads(recorded.evidence or "")
    assert evidence["passed"] is True and evidence["run_id"] == passed.run_id
    assert evidence["candidate"]["target"] == good.ref
    assert [len(gate_runs()), len(list_evaluations())] == [3, 3]


def sy_history(ref: str, alias: str) -> list[Any]:
    from shipyard.core.refs import parse_ref

    return current_workspace().store.aliases.history(parse_ref(ref), alias)


def test_an_unknown_metric_is_refused_before_anything_runs(
    credit_model: AssetVersion, credit_eval: AssetVersion, tmp_path: Path
) -> None:
    policy = write(tmp_path, POLICY.replace("accuracy >= 0.8", "bleu >= 0.8"))
    with pytest.raises(InvalidInput, match=r"gates.yaml: condition 'bleu >= 0.8': unknown metric"):
        run_gate(policy, "model:credit@1")
    with pytest.raises(InvalidInput, match="unknown metric"):
        promote("model:credit@1", "production", policy=policy)
    unknown_scorer = write(tmp_path, POLICY.replace("[accuracy, f1]", "[accuracy, f1, nope]"))
    with pytest.raises(InvalidInput, match=r"gates\.yaml: scorers:"):
        run_gate(unknown_scorer, "model:credit@1")
    assert list_evaluations() == [] and gate_runs() == []
    assert sy.search_runs().runs == []


def test_protected_and_unguarded_aliases(
    credit_model: AssetVersion, credit_eval: AssetVersion, credit_data: Any, tmp_path: Path
) -> None:
    # no gate, not protected: moves as before, nothing evaluated
    move, result = promote("model:credit@1", "staging", progress=False)
    assert move is not None and result is None and list_evaluations() == []

    second = register(credit_data, c=0.5)
    move_alias("model:credit@1", "production")
    protect_alias("model:credit", "production")
    with pytest.raises(Forbidden, match="shipyard gate set model:credit --alias production"):
        promote(second.ref, "production")
    # a policy given for a protected alias without a gate is run, and authorises the move
    move, result = promote(second.ref, "production", policy=write(tmp_path), progress=False)
    assert move is not None and result is not None and result.passed

    # once a gate is attached, only that gate moves the alias
    attach_gate("model:credit", "production", POLICY)
    other = write(tmp_path, POLICY.replace("0.8", "0.5"), "other.yaml")
    with pytest.raises(InvalidInput, match="has a gate attached"):
        promote("model:credit@1", "production", policy=other)
    move, result = promote("model:credit@1", "production", policy=write(tmp_path), progress=False)
    assert move is not None  # the very same policy is fine


def test_attaching_checks_the_policy(credit_model: AssetVersion) -> None:
    with pytest.raises(InvalidInput, match="gate: condition 'rouge >= 1': unknown metric"):
        attach_gate(
            "model:credit",
            "production",
            POLICY.replace("accuracy >= 0.8", "rouge >= 1"),
            source="gate",
        )
    with pytest.raises(InvalidInput, match="not valid YAML"):
        attach_gate("model:credit", "production", "data: [", source="gate")
    sy.prompts.create("p", "{{ text }}")  # names no model: a gate without `model:` cannot run it
    attach_gate("prompt:p", "production", POLICY)  # a later version may name one
    with pytest.raises(
        InvalidInput, match=r"prompt:p@1 names no model.*add `model:` to the policy"
    ):
        run_gate(yaml.safe_load(POLICY), "prompt:p@1", progress=False)
    attach_gate("prompt:p", "production", None)
    with pytest.raises(InvalidInput, match="gates guard models and prompts"):
        attach_gate("dataset:credit-eval", "production", POLICY)
    assert current_workspace().store.aliases.gates(sy_ref("model:credit")) == []
    assert current_workspace().store.aliases.gates(sy_ref("prompt:p")) == []


def sy_ref(text: str) -> Any:
    from shipyard.core.refs import parse_ref

    return parse_ref(text)


def test_a_prompt_gate_runs_on_the_policy_model(tmp_path: Path) -> None:
    from shipyard.evals.cases import create_dataset

    sy.prompts.create("label", "{{ text }}")
    rows = [
        {"text": t, "expected": t.split()[0]} for t in ("yes indeed", "no way", "yes sir", "no")
    ]
    create_dataset("answers", rows)
    policy = write(
        tmp_path,
        "data: dataset:answers@1\nscorers: [accuracy]\nmodel: echo/echo\n"
        "conditions:\n  - accuracy == 1\n  - cost_per_1k_usd < 0.01\n",
    )
    result = run_gate(policy, "prompt:label@1", progress=False)
    assert result.passed and result.candidate["model"] == "echo/echo"


def test_promotion_through_a_team_server(
    live_server: Any, monkeypatch: pytest.MonkeyPatch, credit_data: Any, tmp_path: Path
) -> None:
    """A client cannot claim a pass: the server runs the gate again on its stored evaluations."""
    from shipyard.evals.cases import create_dataset

    from .conftest import credit_cases

    monkeypatch.setenv("SHIPYARD_URI", live_server.url)
    sy.models.register(credit_data.model, "credit", sample_input=credit_data.frame.head(5))
    create_dataset("credit-eval", credit_cases(60), expected="label")
    attach_gate("model:credit", "production", POLICY)
    move, result = promote("model:credit@1", "production", progress=False)
    assert move is not None and result is not None and result.passed
    server = live_server.workspace.store
    assert server.assets.resolve("model:credit@production").version == 1
    (recorded,) = [m for m in server.aliases.history(sy_ref("model:credit")) if m.to_version]
    evidence = json.loads(recorded.evidence or "")
    assert evidence["passed"] is True and evidence["run_id"] != result.run_id  # the server's own
    assert evidence["candidate"]["run_id"] == result.candidate["run_id"]  # the evaluation reused
    bad = register(credit_data, flipped=True)
    move, refused = promote(bad.ref, "production", progress=False)
    assert move is None and refused is not None and not refused.passed
    assert server.assets.resolve("model:credit@production").version == 1


def test_the_python_of_docs_evals_runs(tmp_path: Path) -> None:
    """docs/evals.md: its Python blocks, in order, as one script in a fresh home."""
    import re
    import subprocess
    import sys

    doc = (Path(__file__).parents[2] / "docs" / "evals.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len(blocks) >= 4
    script = tmp_path / "walkthrough.py"
    script.write_text("\n".join(blocks), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"SHIPYARD_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "gate gates.yaml: PASSED" in done.stdout and done.stdout.endswith("1 True\n")
