"""Gates wired to promotion: a policy run on a candidate version, and aliases that move only through it.

``run_gate`` checks a policy against the scorers before anything runs, then
evaluates the candidate and the version at each alias the policy names (reusing
a stored evaluation of the very same versions when one exists), checks the
conditions and records the check as a run (experiment ``gates``, tagged
``shipyard.kind=gate``) whose ``gate.json`` holds the evidence; refusals are
recorded as well as passes.

``promote`` moves an alias through its gate: the policy attached to the alias
(``attach_gate``, stored by the store as YAML text) or one given by the
caller. A passing result authorises the move and its evidence (with the gate
run's id) is stored in the alias history.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from shipyard.assets.aliases import move_alias
from shipyard.assets.registry import resolve, use
from shipyard.core.errors import Forbidden, InvalidInput, NotFound
from shipyard.core.refs import check_alias, parse_ref
from shipyard.evals.gates import GateResult, Policy, check, load_policy
from shipyard.evals.results import EvaluationResult
from shipyard.evals.runner import ShowProgress
from shipyard.store.asset_records import AliasGate, AliasMove, AssetVersion
from shipyard.tracking.api import start_run
from shipyard.workspace import Workspace, current_workspace

__all__ = [
    "GateRun",
    "attach_gate",
    "policy_from_text",
    "promote",
    "read_policy",
    "run_gate",
    "validate_policy",
    "verify_and_promote",
]

GATE_EXPERIMENT = "gates"
GATE_KIND = "gate"
GATE_TAG = "shipyard.gate"
CANDIDATE_TAG = "shipyard.candidate"
ALIAS_TAG = "shipyard.alias"
EVIDENCE_ARTIFACT = "gate.json"
GATED_KINDS = ("model", "prompt")

PolicySource = Policy | Path | str | Mapping[str, Any]


@dataclass(frozen=True)
class GateRun(GateResult):
    """A ``GateResult`` recorded as a run: ``run_id`` says where its evidence is kept."""

    run_id: str | None = None


def read_policy(source: PolicySource) -> Policy:
    """A ``Policy`` from a loaded policy, a YAML file path, or a parsed mapping."""
    if isinstance(source, Policy):
        return source
    return load_policy(source)


def policy_from_text(text: str, source: str = "policy") -> Policy:
    """A policy from its YAML text (a gate stored with an alias), errors naming ``source``."""
    import yaml

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "malformed"
        raise InvalidInput(f"{source}: not valid YAML: {problem}") from None
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{source}: a policy is a mapping with `data`, `scorers`, `conditions`")
    try:
        policy = load_policy(raw)
    except InvalidInput as exc:
        message = exc.message.removeprefix("policy: ")
        raise InvalidInput(f"{source}: {message}") from None
    return replace(policy, source=source)


def validate_policy(
    policy: Policy,
    kind: str | None = None,
    candidate: AssetVersion | None = None,
    workspace: Workspace | None = None,
) -> None:
    """Refuse a policy that cannot run: an unknown scorer or metric, a prompt with no model.

    A prompt runs on the policy's ``model``, else on the one its version's
    settings name; with no ``candidate`` to look at, a policy without a model
    is accepted (each version is checked when the gate runs).
    """
    from shipyard.evals.scorers import is_known_metric, metric_names

    try:
        metric_names(policy.scorers)
    except InvalidInput as exc:
        raise InvalidInput(f"{policy.source}: scorers: {exc.message}") from None
    policy.validate(lambda metric: is_known_metric(metric, policy.scorers))
    if kind == "prompt" and policy.model is None and candidate is not None:
        from shipyard.evals.targets.prompt import default_model

        if default_model(candidate.ref, workspace or current_workspace()) is None:
            raise InvalidInput(
                f"{policy.source}: {candidate.ref} names no model in its settings; add `model:` "
                "to the policy (e.g. model: local/gemma-3-270m)"
            )


def attach_gate(
    ref: str,
    alias: str,
    policy: str | None,
    *,
    source: str = "policy",
    by: str | None = None,
    workspace: Workspace | None = None,
) -> AliasGate | None:
    """Check the policy text, then store it as the gate of ``alias`` (``None`` removes the gate)."""
    ws = workspace or current_workspace()
    parsed = parse_ref(ref)
    check_alias(alias)
    if policy is not None:
        if parsed.kind not in GATED_KINDS:
            raise InvalidInput(
                f"gates guard models and prompts, not {parsed.kind}s; use a model:NAME or prompt:NAME"
            )
        validate_policy(policy_from_text(policy, source), parsed.kind)
    return ws.store.aliases.set_gate(parsed, alias, policy, by=by or _user())


def run_gate(
    policy: PolicySource,
    candidate_ref: str,
    *,
    reuse: bool = True,
    progress: ShowProgress = True,
    alias: str | None = None,
    workspace: Workspace | None = None,
) -> GateRun:
    """Check ``policy`` on the candidate version, recording the check as a run.

    Args:
        policy: a ``Policy``, the path of a YAML policy, or a parsed mapping.
        candidate_ref: the model or prompt version to check (``model:sentiment@7``).
        reuse: use a stored evaluation of the same target version, data
            version and scorers instead of evaluating again.
        progress: progress bars for the evaluations that do run.
        alias: the alias the check is for, when promoting (recorded as a tag).

    Raises:
        InvalidInput: the policy names a metric no scorer produces (nothing runs).
    """
    ws = workspace or current_workspace()
    chosen = read_policy(policy)
    candidate = resolve(candidate_ref, workspace=ws)
    if candidate.kind not in GATED_KINDS:
        raise InvalidInput(
            f"{candidate.ref} is a {candidate.kind}; a gate checks a model or prompt version"
        )
    validate_policy(chosen, candidate.kind, candidate, ws)
    model = chosen.model if candidate.kind == "prompt" else None
    data = resolve(chosen.data, "dataset", workspace=ws)
    at_alias = {at: _at_alias(candidate, at, ws) for at in chosen.aliases()}
    tags = {
        "shipyard.kind": GATE_KIND,
        CANDIDATE_TAG: candidate.ref,
        "shipyard.data": data.ref,
        **({ALIAS_TAG: alias} if alias else {}),
    }
    params: dict[str, str | int | None] = {
        "policy": chosen.name or chosen.source,
        "candidate": candidate.ref,
        "data": data.ref,
        "scorers": ", ".join(chosen.scorers),
        "model": model,
        "conditions": len(chosen.conditions),
        **{f"alias.{at}": (v.ref if v else None) for at, v in at_alias.items()},
    }
    name = f"gate {chosen.name or chosen.source} {candidate.ref}"
    with start_run(GATE_EXPERIMENT, name, params, tags, workspace=ws) as run:
        use(candidate.ref, workspace=ws)
        done: dict[str, EvaluationResult] = {}

        def evaluation(version: AssetVersion) -> EvaluationResult:
            if version.ref not in done:
                done[version.ref] = _evaluation(
                    version.ref, data.ref, chosen, model, reuse, progress, ws
                )
            return done[version.ref]

        measured = evaluation(candidate)
        baselines = {at: (evaluation(v) if v else None) for at, v in at_alias.items()}
        result = check(chosen, measured, baselines)
        gate = GateRun(
            **{f.name: getattr(result, f.name) for f in fields(GateResult)}, run_id=run.id
        )
        run.set_tag(GATE_TAG, "passed" if gate.passed else "failed")
        run.log_metrics(
            {
                "passed": float(gate.passed),
                "conditions": float(len(gate.conditions)),
                "failed_conditions": float(sum(not c.passed for c in gate.conditions)),
                "skipped_conditions": float(sum(c.status == "skip" for c in gate.conditions)),
            }
        )
        run.log_text(gate.evidence, EVIDENCE_ARTIFACT)
    return gate


def promote(
    ref: str,
    alias: str,
    *,
    policy: PolicySource | None = None,
    reuse: bool = True,
    progress: ShowProgress = True,
    moved_by: str | None = None,
    workspace: Workspace | None = None,
) -> tuple[AliasMove | None, GateRun | None]:
    """Move ``alias`` to the version ``ref`` names, through its gate when it has one.

    The gate attached to the alias runs (or ``policy``, when the alias has
    none); the alias moves only when it passes, with the evidence recorded in
    the alias history. An alias without a gate or policy moves as before,
    unless it is protected.

    Returns:
        ``(move, result)``: ``move`` is ``None`` when the gate refused (then
        ``result.passed`` is false); ``result`` is ``None`` when no gate ran.

    Raises:
        Forbidden: the alias is protected and no gate or policy was given.
    """
    ws = workspace or current_workspace()
    check_alias(alias)
    version = resolve(ref, workspace=ws)
    asset = parse_ref(version.ref)
    attached = ws.store.aliases.gate(asset, alias)
    given = None if policy is None else read_policy(policy)
    if attached is not None:
        chosen = policy_from_text(attached, f"gate of {asset.base}@{alias}")
        if given is not None and _comparable(given) != _comparable(chosen):
            raise InvalidInput(
                f"{asset.base}@{alias} has a gate attached and only it can move the alias; "
                f"drop the policy, or replace the gate with `shipyard gate set {asset.base} "
                f"--alias {alias} --policy FILE`"
            )
    elif given is not None:
        chosen = given
    else:
        if any(a.alias == alias and a.protected for a in ws.store.aliases.list(asset)):
            raise Forbidden(
                f"{asset.base}@{alias} is protected and has no gate: attach one with "
                f"`shipyard gate set {asset.base} --alias {alias} --policy gates.yaml` "
                "(or pass a policy to check)"
            )
        return move_alias(version.ref, alias, moved_by=moved_by, workspace=ws), None
    result = run_gate(
        chosen, version.ref, reuse=reuse, progress=progress, alias=alias, workspace=ws
    )
    if not result.passed:
        return None, result
    move = move_alias(version.ref, alias, check=result, moved_by=moved_by, workspace=ws)
    return move, result


def verify_and_promote(
    ref: str,
    alias: str,
    evidence: str | None,
    *,
    moved_by: str | None = None,
    workspace: Workspace | None = None,
) -> AliasMove:
    """What a server does when a client moves a gated or protected alias: check it again itself.

    The client's claim is not trusted: the alias's own gate runs (or, for an
    alias without one, the policy in the client's evidence), on the server's
    stored evaluations where they exist. Evidence that is not a gate's moves
    only an alias that needs no check.
    """
    ws = workspace or current_workspace()
    asset = parse_ref(ref)
    gated = ws.store.aliases.gate(asset, alias) is not None
    claimed = None if gated else _policy_in(evidence)  # the alias's own gate comes first
    if not gated and claimed is None:
        return ws.store.aliases.move(asset, alias, moved_by=moved_by, evidence=evidence)
    move, result = promote(
        ref, alias, policy=claimed, progress=False, moved_by=moved_by, workspace=ws
    )
    if move is None:
        failed = [c.text for c in (result.conditions if result else ()) if not c.passed]
        raise Forbidden(
            f"the gate refused {ref} for {alias}: {'; '.join(failed)} "
            f"(evidence in run {result.run_id if result else '?'})"
        )
    return move


def _evaluation(
    target: str,
    data: str,
    policy: Policy,
    model: str | None,
    reuse: bool,
    progress: ShowProgress,
    ws: Workspace,
) -> EvaluationResult:
    from shipyard.evals.runner import evaluate
    from shipyard.evals.storage import latest_evaluation
    from shipyard.evals.targets.prompt import default_model

    if model is None and target.startswith("prompt:"):
        model = default_model(target, ws)  # a reused evaluation must be on the same model
    if reuse:
        found = latest_evaluation(target, data, policy.scorers, model=model, workspace=ws)
        if found is not None:
            return found
    return evaluate(
        target, data, list(policy.scorers), model=model, progress=progress, workspace=ws
    )


def _at_alias(candidate: AssetVersion, alias: str, ws: Workspace) -> AssetVersion | None:
    """The version of the candidate's asset at ``alias`` now; ``None`` before its first move."""
    try:
        return ws.store.assets.resolve(f"{candidate.kind}:{candidate.name}@{alias}")
    except NotFound:
        return None


def _comparable(policy: Policy) -> dict[str, Any]:
    return {k: v for k, v in policy.to_dict().items() if k != "source"}


def _policy_in(evidence: str | None) -> Policy | None:
    """The policy a gate result's evidence names; ``None`` for evidence of another kind."""
    try:
        document = json.loads(evidence or "")
    except ValueError:
        return None
    raw = document.get("policy") if isinstance(document, dict) else None
    if not isinstance(raw, dict) or "conditions" not in raw:
        return None
    source = str(raw.get("source") or "policy")
    return replace(load_policy({k: v for k, v in raw.items() if k != "source"}), source=source)


def _user() -> str | None:
    return os.environ.get("USER") or os.environ.get("USERNAME")
