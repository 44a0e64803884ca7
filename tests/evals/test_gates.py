"""Gate policies: loading and refusing them, checking them, and the evidence they leave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shipyard.core.errors import Forbidden, InvalidInput, NotFound
from shipyard.evals.gates import Policy, check, load_policy
from shipyard.evals.results import CaseResult, EvaluationResult

DATA = "dataset:sentiment-eval@3"
POLICY = """\
name: sentiment-release
data: dataset:sentiment-eval@latest
scorers: [accuracy, f1]
model: local/gemma-3-270m
baseline: production
level: 0.05
conditions:
  - f1 >= production.f1 - 0.01
  - p95_latency_ms < 200
  - cost_per_1k_usd < 0.5
  - verdict != significantly_worse
"""


def write(tmp_path: Path, text: str, name: str = "gates.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def result(
    run_id: str, data: str = DATA, cases: tuple[CaseResult, ...] = (), **metrics: float
) -> EvaluationResult:
    values = {"f1": 0.85, "accuracy": 0.86, "p95_latency_ms": 150.0, "cost_per_1k_usd": 0.2}
    values.update(metrics)
    return EvaluationResult(
        run_id, f"model:sentiment@{run_id}", data, ("accuracy", "f1"), values, cases
    )


def graded(run_id: str, right: int, n: int = 100) -> EvaluationResult:
    cases = tuple(
        CaseResult(
            i,
            {"t": i},
            "positive",
            "positive" if i < right else "negative",
            scores={"correct": float(i < right)},
        )
        for i in range(n)
    )
    return result(run_id, cases=cases, accuracy=right / n)


# --- loading ---------------------------------------------------------------------------------


def test_load_policy_from_a_yaml_file(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    assert policy.name == "sentiment-release"
    assert policy.data == "dataset:sentiment-eval@latest"
    assert policy.scorers == ("accuracy", "f1")
    assert policy.model == "local/gemma-3-270m"
    assert (policy.baseline, policy.level, policy.on_missing_baseline) == (
        "production",
        0.05,
        "pass",
    )
    assert [c.text for c in policy.conditions] == [
        "f1 >= production.f1 - 0.01",
        "p95_latency_ms < 200",
        "cost_per_1k_usd < 0.5",
        "verdict != significantly_worse",
    ]
    assert policy.aliases() == ("production",)
    assert policy.metrics() == ("f1", "p95_latency_ms", "cost_per_1k_usd")
    assert policy.source == "gates.yaml"
    assert load_policy(str(tmp_path / "gates.yaml")) == policy


def test_load_policy_from_a_mapping_with_labels_and_arithmetic() -> None:
    policy = load_policy(
        {
            "data": "sentiment-eval@2",
            "scorers": "f1",
            "conditions": [
                "f1[positive] >= champion.f1[positive]",
                "f1['very negative'] > 0.5",
                "-cost_per_1k_usd * 1000 / 2 > -(300 + 1)",
            ],
        }
    )
    assert policy.data == "dataset:sentiment-eval@2"
    assert policy.scorers == ("f1",)
    assert policy.aliases() == ("champion",)
    assert policy.metrics() == ("f1[positive]", "f1[very negative]", "cost_per_1k_usd")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1 >=']\n",
            "condition 1 'f1 >=': not a valid condition",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: [f1 >= 0.8]\nthreshold: 2\n",
            "unknown key 'threshold'",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1 ** 2 > 0.5']\n",
            "only + - * / are allowed",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1 % 2 > 0']\n",
            "only + - * / are allowed",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1 in (1, 2)']\n",
            "one of < <= > >= == !=",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['0.5 < f1 < 0.9']\n",
            "one comparison per condition",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1 > 0.5 and f1 < 0.9']\n",
            "one comparison per condition",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: [\"__import__('os').system('id') == 0\"]\n",
            "function calls are not allowed",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1.__class__ > 0']\n",
            "'__class__' is not a metric name",
        ),
        ("data: dataset:x\nscorers: [f1]\nconditions: ['a.b.c > 0']\n", "write ALIAS.METRIC"),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['Production.f1 > 0']\n",
            "'Production' is not an alias",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1 > \"high\"']\n",
            "'high' is not a number",
        ),
        ("data: dataset:x\nscorers: [f1]\nconditions: ['f1 > True']\n", "True is not a number"),
        ("data: dataset:x\nscorers: [f1]\nconditions: ['f1[0.5] > 1']\n", "a class label is"),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['not f1']\n",
            "a condition compares two values",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: [0.8]\n",
            "condition 1 0.8: a condition must be a non-empty string",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nbaseline: production\nconditions: ['verdict < inconclusive']\n",
            "`verdict` is compared with == or !=",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nbaseline: production\nconditions: ['verdict == great']\n",
            "compared with one of significantly_better",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nbaseline: production\nconditions: ['verdict + 1 > 0']\n",
            "`verdict` is only compared",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['f1 > inconclusive']\n",
            "inconclusive is a verdict",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nconditions: ['verdict != significantly_worse']\n",
            "needs `baseline:`",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nlevel: 1.5\nconditions: [f1 > 0]\n",
            "level must be a number between 0 and 1",
        ),
        ("data: dataset:x\nscorers: [f1]\nlevel: high\nconditions: [f1 > 0]\n", "got 'high'"),
        ("data: dataset:x\nscorers: [f1]\nlevel: true\nconditions: [f1 > 0]\n", "got True"),
        (
            "data: dataset:x\nscorers: [f1]\non_missing_baseline: maybe\nconditions: [f1 > 0]\n",
            "on_missing_baseline is `pass` or `fail`",
        ),
        (
            "data: dataset:x\nscorers: [f1]\nbaseline: Prod\nconditions: [f1 > 0]\n",
            "alias 'Prod' is not valid",
        ),
        ("data: dataset:x\nscorers: [f1]\nconditions: []\n", "`conditions` is a list"),
        ("data: dataset:x\nscorers: []\nconditions: [f1 > 0]\n", "`scorers` is a list"),
        ("scorers: [f1]\nconditions: [f1 > 0]\n", "`data` must be a non-empty string"),
        (
            "data: model:x@1\nscorers: [f1]\nconditions: [f1 > 0]\n",
            "data: 'model:x@1' is a model reference",
        ),
        ("data: [x\n", "not valid YAML at line"),
        ("- f1 > 0\n", "a policy is a mapping"),
    ],
)
def test_a_bad_policy_is_one_clear_line_naming_the_file(
    tmp_path: Path, text: str, error: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_policy(write(tmp_path, text, "release.yaml"))
    message = caught.value.message
    assert message.startswith("release.yaml: ")
    assert error in message
    assert "\n" not in message


def test_a_missing_policy_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"nowhere\.yaml"):
        load_policy(tmp_path / "nowhere.yaml")


def test_validate_refuses_a_metric_no_scorer_produces(tmp_path: Path) -> None:
    policy = load_policy(
        write(tmp_path, POLICY.replace("f1 >= production.f1", "f1x >= production.f1"))
    )
    known = {"accuracy", "f1"}
    with pytest.raises(
        InvalidInput,
        match=r"gates.yaml: condition 'f1x >= production.f1 - 0.01': unknown metric 'f1x'",
    ):
        policy.validate(known.__contains__)
    asked: list[str] = []
    load_policy(write(tmp_path, POLICY)).validate(lambda name: asked.append(name) or name in known)
    assert asked == ["f1", "f1"]  # latency and cost are always computed: never asked
    labelled = load_policy(
        {"data": "dataset:x", "scorers": ["f1"], "conditions": ["f1[positive] > 0.8"]}
    )
    labelled.validate(lambda name: name == "f1[positive]")


# --- checking --------------------------------------------------------------------------------


def test_a_passing_check_shows_every_number(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    outcome = check(
        policy, result("cand"), {"production": result("prod", f1=0.855)}, verdict="inconclusive"
    )
    assert outcome.passed
    first = outcome.conditions[0]
    assert first.passed and first.status == "pass"
    assert first.values == {"f1": 0.85, "production.f1": 0.855}
    assert first.left == 0.85 and first.right == pytest.approx(0.845)
    assert outcome.conditions[3].values == {"verdict": "inconclusive"}
    lines = outcome.render_lines()
    assert lines[0].startswith("PASS  f1 >= production.f1 - 0.01")
    assert "production.f1 = 0.855" in lines[0] and "(0.85 >= 0.845)" in lines[0]
    assert lines[-1] == "gate sentiment-release: PASSED (4 of 4 conditions held)"


def test_a_failing_condition_fails_the_gate(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    outcome = check(
        policy,
        result("cand", f1=0.80, p95_latency_ms=250.0),
        {"production": result("prod", f1=0.84)},
        verdict="significantly_worse",
    )
    assert not outcome.passed
    assert [c.passed for c in outcome.conditions] == [False, False, True, False]
    rows = outcome.rows()
    assert rows[1] == ("p95_latency_ms < 200", "p95_latency_ms = 250  (250 < 200)", "FAIL")
    assert rows[3][2] == "FAIL"
    assert outcome.render_lines()[-1] == "gate sentiment-release: FAILED (1 of 4 conditions held)"


def test_a_baseline_alias_without_a_version_is_skipped_unless_the_policy_says_fail(
    tmp_path: Path,
) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    first = check(policy, result("cand"), {"production": None})
    assert first.passed
    skipped = [c for c in first.conditions if c.status == "skip"]
    assert [c.text for c in skipped] == [
        "f1 >= production.f1 - 0.01",
        "verdict != significantly_worse",
    ]
    assert skipped[0].message == "skipped: no version at production yet"
    assert first.rows()[0][2] == "SKIP"
    assert first.render_lines()[-1].endswith("(2 of 4 conditions held, 2 skipped)")
    strict = load_policy(write(tmp_path, POLICY + "on_missing_baseline: fail\n"))
    refused = check(strict, result("cand"), {"production": None})
    assert not refused.passed
    assert (
        refused.conditions[0].message
        == "skipped: no version at production yet (on_missing_baseline: fail)"
    )
    assert refused.rows()[0][2] == "FAIL"


def test_a_metric_missing_from_the_results_fails_with_a_message(tmp_path: Path) -> None:
    policy = load_policy(
        {"data": DATA, "scorers": ["f1"], "conditions": ["roc_auc > 0.9", "f1 > champion.roc_auc"]}
    )
    outcome = check(policy, result("cand"), {"champion": result("champ")})
    assert not outcome.passed
    assert (
        outcome.conditions[0].message
        == "metric 'roc_auc' is missing from the candidate's results (cand)"
    )
    assert outcome.conditions[0].values == {"roc_auc": None}
    assert (
        outcome.conditions[1].message
        == "metric 'roc_auc' is missing from champion's results (champ)"
    )
    assert "roc_auc = missing" in outcome.rows()[0][1]


def test_arithmetic_that_has_no_value_fails_instead_of_raising() -> None:
    policy = load_policy(
        {"data": DATA, "scorers": ["f1"], "conditions": ["f1 / errors > 1", "f1 >= nan_metric"]}
    )
    outcome = check(policy, result("cand", errors=0.0, nan_metric=float("nan")), {})
    assert outcome.conditions[0].message == "cannot compute: division by zero"
    assert outcome.conditions[1].message == "a value is NaN"
    assert not outcome.passed
    json.loads(outcome.evidence)  # NaN is stored as null, so the evidence stays valid JSON


def test_the_verdict_is_computed_from_the_baselines_cases_when_not_given(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    worse = check(policy, graded("cand", 60), {"production": graded("prod", 90)})
    assert worse.verdict == "significantly_worse"
    assert not worse.conditions[3].passed
    assert (
        worse.comparison is not None and worse.comparison["test"]["method"] == "mcnemar chi-square"
    )
    better = check(policy, graded("cand", 95), {"production": graded("prod", 70)})
    assert better.verdict == "significantly_better" and better.conditions[3].passed
    given = check(
        policy, graded("cand", 60), {"production": graded("prod", 90)}, verdict="inconclusive"
    )
    assert given.comparison is None and given.conditions[3].passed


def test_check_refuses_what_it_cannot_judge(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    with pytest.raises(InvalidInput, match="no evaluation given for alias production"):
        check(policy, result("cand"), {})
    with pytest.raises(InvalidInput, match="verdict must be one of"):
        check(policy, result("cand"), {"production": result("p")}, verdict="better")
    with pytest.raises(InvalidInput, match="evaluated on dataset:other@1"):
        check(policy, result("cand", data="dataset:other@1"), {"production": None})
    pinned = load_policy(write(tmp_path, POLICY.replace("@latest", "@2")))
    with pytest.raises(InvalidInput, match="the policy is for dataset:sentiment-eval@2"):
        check(pinned, result("cand"), {"production": None})
    stale = check(
        policy,
        result("cand"),
        {"production": result("p", data="dataset:sentiment-eval@2")},
        verdict="inconclusive",
    )
    assert not stale.passed
    assert "production was evaluated on dataset:sentiment-eval@2" in (
        stale.conditions[0].message or ""
    )


def test_evidence_holds_every_number_and_run_id(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    outcome = check(
        policy,
        result("cand-run"),
        {"production": result("prod-run", f1=0.8)},
        verdict="inconclusive",
    )
    evidence: dict[str, Any] = json.loads(outcome.evidence)
    assert evidence["passed"] is True
    assert evidence["candidate"] == {
        "run_id": "cand-run",
        "target": "model:sentiment@cand-run",
        "data": DATA,
        "model": None,
    }
    assert evidence["baselines"] == {"production": "prod-run"}
    assert evidence["verdict"] == "inconclusive"
    assert evidence["policy"]["name"] == "sentiment-release"
    assert evidence["policy"]["conditions"][0] == "f1 >= production.f1 - 0.01"
    first = evidence["conditions"][0]
    assert first["values"] == {"f1": 0.85, "production.f1": 0.8}
    assert (first["passed"], first["op"], first["left"]) == (True, ">=", 0.85)
    assert outcome.to_dict() == evidence


def test_a_gate_result_moves_a_protected_alias_only_when_it_passed(tmp_path: Path) -> None:
    import shipyard as sy
    from shipyard.assets.aliases import move_alias, protect_alias
    from shipyard.workspace import current_workspace

    sy.prompts.create("sentiment", "Classify: {{text}}")
    sy.prompts.create("sentiment", "Say positive or negative: {{text}}")
    move_alias("prompt:sentiment@1", "production")
    protect_alias("prompt:sentiment@1", "production")
    policy = load_policy(write(tmp_path, POLICY))
    baselines = {"production": result("prod", f1=0.9)}
    failing = check(policy, result("cand"), baselines, verdict="inconclusive")
    assert not failing.passed
    with pytest.raises(Forbidden):
        move_alias("prompt:sentiment@2", "production", check=failing)
    passing = check(policy, result("cand", f1=0.91), baselines, verdict="inconclusive")
    move = move_alias("prompt:sentiment@2", "production", check=passing)
    assert (move.from_version, move.to_version) == (1, 2)
    assert move.evidence == passing.evidence
    assert isinstance(current_workspace().store, object)


def test_policy_is_a_plain_record() -> None:
    policy = load_policy({"data": DATA, "scorers": ["f1"], "conditions": ["f1 > 0.5"]})
    assert isinstance(policy, Policy)
    assert policy.to_dict() == {
        "name": None,
        "source": "policy",
        "data": DATA,
        "scorers": ["f1"],
        "model": None,
        "baseline": None,
        "level": 0.05,
        "on_missing_baseline": "pass",
        "conditions": ["f1 > 0.5"],
    }
