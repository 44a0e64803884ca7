"""`shipyard gate …` and `shipyard assets promote` through the real entry point: exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.cli.main import main
from shipyard.evals.cases import create_dataset

POLICY = """\
name: credit-release
data: dataset:credit-eval@latest
scorers: [accuracy, f1]
baseline: production
conditions:
  - accuracy >= 0.75
  - f1 >= production.f1 - 0.02
  - p95_latency_ms < 60000
  - verdict != significantly_worse
"""


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 20, n).round(2)
    right = income > 50
    right[::10] = ~right[::10]
    return pd.DataFrame(
        {"income": income, "age": rng.integers(18, 80, n), "expected": np.where(right, "yes", "no")}
    )


@pytest.fixture
def credit(tmp_path: Path) -> Path:
    """``model:credit`` @1 good, @2 wrong, @3 a good cousin; the policy file it is gated by."""
    train = frame(200, 1)
    x, y = train[["income", "age"]], train["expected"].to_numpy()
    for labels, c in ((y, 1.0), (np.where(y == "yes", "no", "yes"), 1.0), (y, 0.3)):
        model = LogisticRegression(max_iter=1000, C=c).fit(x, labels)
        sy.models.register(model, "credit", sample_input=x.head(3))
    create_dataset("credit-eval", frame(80, 2))
    path = tmp_path / "gates.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def runs_of(kind: str) -> list[Any]:
    return sy.search_runs(f"tags.`shipyard.kind` = '{kind}'").runs


def test_gate_check_exits_0_when_it_passes_and_1_when_it_fails(credit: Path, capsys: Any) -> None:
    assert main(["gate", "check", "--policy", str(credit), "--candidate", "model:credit@1"]) == 0
    captured = capsys.readouterr()
    assert "PASS" in captured.out and "SKIP" in captured.out
    assert "accuracy >= 0.75" in captured.out and "gate credit-release: PASSED" in captured.out
    assert "recorded as gate run" in captured.err

    sy.evals.promote("model:credit@1", "production", progress=False)  # ungated: just moves
    argv = ["gate", "check", "--policy", str(credit), "--candidate", "model:credit@2", "--json"]
    assert main(argv) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is False and result["verdict"] == "significantly_worse"
    statuses = {c["text"]: c["status"] for c in result["conditions"]}
    assert statuses["accuracy >= 0.75"] == "fail" and statuses["p95_latency_ms < 60000"] == "pass"
    assert result["run_id"] == runs_of("gate")[0].id

    assert main(["gate", "check", "--policy", str(credit), "--candidate", "model:credit@2"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "gate credit-release: FAILED" in out
    assert "production.f1" in out  # the numbers each condition read


def test_an_unknown_metric_exits_2_before_any_evaluation(credit: Path, capsys: Any) -> None:
    credit.write_text(POLICY.replace("accuracy >= 0.75", "acuracy >= 0.75"), encoding="utf-8")
    argv = ["gate", "check", "--policy", str(credit), "--candidate", "model:credit@1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown metric 'acuracy'" in err and "Traceback" not in err
    assert runs_of("evaluation") == [] and runs_of("gate") == []
    assert main(["gate", "check", "--policy", "missing.yaml", "--candidate", "model:credit@1"]) == 2
    assert "not found" in capsys.readouterr().err
    assert (
        main(["gate", "set", "model:credit", "--alias", "production", "--policy", str(credit)]) == 2
    )
    assert sy.search_runs().runs == []


def test_gate_set_show_list_remove(credit: Path, capsys: Any) -> None:
    argv = ["gate", "set", "model:credit", "--alias", "production", "--policy", str(credit)]
    assert main(argv) == 0
    assert "moves only through the gate in gates.yaml" in capsys.readouterr().err
    assert main(["gate", "show", "model:credit", "--alias", "production"]) == 0
    assert capsys.readouterr().out.strip() == POLICY.strip()
    assert main(["gate", "list", "model:credit", "--json"]) == 0
    (gate,) = json.loads(capsys.readouterr().out)
    assert (gate["alias"], gate["policy"]) == ("production", POLICY)
    assert main(["gate", "list", "model:credit"]) == 0
    assert "credit-release" in capsys.readouterr().out

    # a gated alias cannot be moved by hand
    assert main(["assets", "alias", "model:credit@1", "production"]) == 2
    assert "has a gate" in capsys.readouterr().err

    assert main(["gate", "remove", "model:credit", "--alias", "production"]) == 0
    assert main(["gate", "show", "model:credit", "--alias", "production"]) == 2
    assert "shipyard gate set model:credit --alias production" in capsys.readouterr().err
    assert main(["gate", "remove", "model:credit", "--alias", "production"]) == 2
    assert main(["assets", "aliases", "model:credit", "--history", "--json"]) == 0
    notes = [m["evidence"].split(" (")[0] for m in json.loads(capsys.readouterr().out)]
    assert notes == ["gate removed", "gate set"]


def test_assets_promote_refuses_or_moves_with_evidence(credit: Path, capsys: Any) -> None:
    assert (
        main(["gate", "set", "model:credit", "--alias", "production", "--policy", str(credit)]) == 0
    )
    assert main(["assets", "promote", "model:credit@1", "--to", "production"]) == 0
    captured = capsys.readouterr()
    assert "model:credit@production → version 1 (new)" in captured.out
    assert "evidence: gate run" in captured.err

    assert main(["assets", "promote", "model:credit@2", "--to", "production"]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.out and "accuracy >= 0.75" in captured.out
    assert "refused" in captured.err
    assert sy.models.get("model:credit@production").version == 1
    assert [r.tags["shipyard.gate"] for r in runs_of("gate")] == ["failed", "passed"]

    assert main(["assets", "promote", "model:credit@3", "--to", "production"]) == 0
    assert "version 3 (was 1)" in capsys.readouterr().out
    assert main(["assets", "aliases", "model:credit", "--history", "--json"]) == 0
    moved = [m for m in json.loads(capsys.readouterr().out) if m["to_version"] == 3]
    assert json.loads(moved[0]["evidence"])["passed"] is True


def test_promote_without_a_gate(credit: Path, capsys: Any) -> None:
    assert main(["assets", "promote", "model:credit@1", "--to", "staging"]) == 0
    assert "staging → version 1 (new)" in capsys.readouterr().out
    assert main(["assets", "alias", "model:credit@staging", "staging", "--protect"]) == 0
    assert main(["assets", "promote", "model:credit@3", "--to", "staging"]) == 2
    assert "shipyard gate set model:credit --alias staging" in capsys.readouterr().err
    argv = ["assets", "promote", "model:credit@3", "--to", "staging", "--policy", str(credit)]
    assert main(argv) == 0
    assert "version 3 (was 1)" in capsys.readouterr().out
