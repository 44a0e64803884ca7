"""Testing a prompt version before it goes live: its evaluation, checked as a gate.

A prompt's test is a gate policy, taken from the first of:

1. the policy given (a YAML file, as ``shipyard gate check`` takes);
2. an eval dataset and scorers given: evaluate the version, require every case
   to run (``errors == 0``) and any extra conditions, and, when the alias it
   would go live at (``production``) points at another version, refuse one
   significantly worse than that version (``verdict != significantly_worse``);
3. the gate attached to that alias, so ``shipyard prompts test prompt:x@3``
   checks exactly what ``shipyard assets promote prompt:x@3 --to production``
   would.

A ``model`` given runs the prompt on that model whichever policy it is.

The check is recorded as a gate run with its evidence, like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.evals.gates import Policy, load_policy
from shipyard.evals.promotion import GateRun, PolicySource, policy_from_text, read_policy, run_gate
from shipyard.workspace import Workspace, current_workspace

if TYPE_CHECKING:
    from shipyard.evals.runner import ShowProgress

__all__ = ["prompt_test_policy", "run_prompt_test"]

NOT_WORSE = "verdict != significantly_worse"
ALL_CASES_RAN = "errors == 0"


def prompt_test_policy(
    ref: str,
    *,
    policy: PolicySource | None = None,
    data: str | None = None,
    scorers: Sequence[str] = (),
    conditions: Sequence[str] = (),
    model: str | None = None,
    against: str | None = "production",
    workspace: Workspace | None = None,
) -> Policy:
    """The policy that tests prompt version ``ref`` (see the module's docstring for the order).

    Raises:
        InvalidInput: both a policy and data given, scorers or conditions
            without data, or nothing to test with (no data and no gate on ``against``).
    """
    from shipyard.assets.registry import resolve

    ws = workspace or current_workspace()
    version = resolve(ref, "prompt", workspace=ws)
    if policy is not None or data is None:
        if policy is not None and (data is not None or scorers or conditions):
            raise InvalidInput("give either a policy or --data/--scorer/--condition, not both")
        if scorers or conditions:
            raise InvalidInput("--scorer and --condition need --data, the eval dataset to run")
        chosen = (
            read_policy(policy) if policy is not None else _attached_gate(version.name, against, ws)
        )
        return chosen if model is None else replace(chosen, model=model)  # --model wins
    baseline = None
    if against is not None and _points_elsewhere(version.name, version.version, against, ws):
        baseline = against
    raw = {
        "name": f"test of {version.ref}",
        "data": data,
        "scorers": list(scorers) or ["exact_match"],
        "model": model,
        "baseline": baseline,
        "conditions": [ALL_CASES_RAN, *conditions, *([NOT_WORSE] if baseline else [])],
    }
    return load_policy({k: v for k, v in raw.items() if v is not None})


def run_prompt_test(
    ref: str,
    *,
    policy: PolicySource | None = None,
    data: str | None = None,
    scorers: Sequence[str] = (),
    conditions: Sequence[str] = (),
    model: str | None = None,
    against: str | None = "production",
    reuse: bool = True,
    progress: ShowProgress = True,
    workspace: Workspace | None = None,
) -> GateRun:
    """Test prompt version ``ref``: evaluate it and check its policy, recorded as a gate run.

    ``passed`` on the result says whether it may go live.
    """
    ws = workspace or current_workspace()
    chosen = prompt_test_policy(
        ref,
        policy=policy,
        data=data,
        scorers=scorers,
        conditions=conditions,
        model=model,
        against=against,
        workspace=ws,
    )
    return run_gate(chosen, ref, reuse=reuse, progress=progress, workspace=ws)


def _attached_gate(name: str, alias: str | None, ws: Workspace) -> Policy:
    from shipyard.core.refs import parse_ref

    text = None if alias is None else ws.store.aliases.gate(parse_ref(f"prompt:{name}"), alias)
    if text is None:
        where = f"prompt:{name}@{alias} has no gate" if alias else "no alias to take a gate from"
        raise InvalidInput(
            f"nothing to test prompt:{name} with: {where}; give the eval dataset "
            "(--data dataset:NAME --scorer accuracy) or a policy (--policy gates.yaml)"
        )
    return policy_from_text(text, source=f"the gate of prompt:{name}@{alias}")


def _points_elsewhere(name: str, version: int, alias: str, ws: Workspace) -> bool:
    try:
        found = ws.store.assets.resolve(f"prompt:{name}@{alias}")
    except NotFound:
        return False
    return found.version != version
