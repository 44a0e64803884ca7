"""``shipyard gate``: check a gate policy on a candidate, and attach gates to aliases.

``gate check`` exits 0 when the gate passes and 1 when it fails, so a CI job
can run it as a step; a policy that cannot run (an unknown metric, a missing
file) is a user error, exit 2, before any evaluation runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from shipyard.cli import output

if TYPE_CHECKING:
    from shipyard.evals.promotion import GateRun

app = typer.Typer(
    help="Gates: policies over evaluation results that must hold before an alias moves.",
    no_args_is_help=True,
)
_JSON = typer.Option(False, "--json", help="Print JSON.")
_ALIAS = typer.Option(..., "--alias", "-a", help="The alias the gate guards, e.g. production.")
_STATUS_STYLE = {"PASS": "bold green", "FAIL": "bold red", "SKIP": "yellow"}


@app.command("check")
def check(
    policy: Path = typer.Option(..., "--policy", "-p", help="The YAML gate policy."),
    candidate: str = typer.Option(
        ..., "--candidate", "-c", help="The version to check, e.g. model:sentiment@7."
    ),
    reuse: bool = typer.Option(
        True, "--reuse/--no-reuse", help="Reuse stored evaluations of the same versions."
    ),
    as_json: bool = _JSON,
) -> None:
    """Evaluate CANDIDATE (and the aliases the policy names) and check every condition.

    Exits 0 when the gate passes, 1 when it fails.
    """
    from shipyard.evals.promotion import run_gate

    result = run_gate(policy, candidate, reuse=reuse, progress=True)
    if as_json:
        output.print_json({**result.to_dict()})
    else:
        print_gate(result)
    if not result.passed:
        raise typer.Exit(1)


@app.command("set")
def set_(
    ref: str = typer.Argument(..., help="The asset, e.g. model:sentiment."),
    alias: str = _ALIAS,
    policy: Path = typer.Option(..., "--policy", "-p", help="The YAML gate policy to attach."),
) -> None:
    """Attach a gate to an alias (checked first): it then moves only when the gate passes."""
    from shipyard.core.errors import InvalidInput, NotFound
    from shipyard.evals.promotion import attach_gate

    if not policy.is_file():
        raise NotFound(f"policy file {str(policy)!r} not found; pass the path of a YAML policy")
    try:
        text = policy.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{policy.name}: cannot read the policy file: {exc}") from None
    attach_gate(ref, alias, text, source=policy.name)
    base = _base(ref)
    output.err.print(
        f"{base}@{alias} now moves only through the gate in {policy.name}: "
        f"shipyard assets promote {base}@VERSION --to {alias}"
    )


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="The asset, e.g. model:sentiment."),
    alias: str = _ALIAS,
    as_json: bool = _JSON,
) -> None:
    """Print the gate policy attached to an alias."""
    from shipyard.core.errors import NotFound
    from shipyard.core.refs import parse_ref
    from shipyard.workspace import current_workspace

    text = current_workspace().store.aliases.gate(parse_ref(ref), alias)
    if text is None:
        raise NotFound(
            f"{_base(ref)}@{alias} has no gate; attach one with "
            f"`shipyard gate set {_base(ref)} --alias {alias} --policy gates.yaml`"
        )
    if as_json:
        output.print_json({"ref": _base(ref), "alias": alias, "policy": text})
        return
    output.out.print(text.rstrip("\n"), markup=False, highlight=False)


@app.command("list")
def list_(
    ref: str = typer.Argument(..., help="The asset, e.g. model:sentiment."), as_json: bool = _JSON
) -> None:
    """Every alias of an asset that has a gate."""
    from shipyard.cli.evals import print_table
    from shipyard.core.refs import parse_ref
    from shipyard.workspace import current_workspace

    found = current_workspace().store.aliases.gates(parse_ref(ref))
    if as_json:
        output.print_json([g.to_dict() for g in found])
        return
    print_table(
        _base(ref),
        ["alias", "policy", "set", "by"],
        [(g.alias, _title(g.policy), output.when(g.updated_at), g.updated_by) for g in found],
    )


@app.command("remove")
def remove(
    ref: str = typer.Argument(..., help="The asset, e.g. model:sentiment."), alias: str = _ALIAS
) -> None:
    """Remove the gate of an alias (recorded in its history)."""
    from shipyard.evals.promotion import attach_gate

    attach_gate(ref, alias, None)
    output.err.print(f"removed the gate of {_base(ref)}@{alias}")


def print_gate(result: GateRun) -> None:
    """Each condition with its numbers and PASS/FAIL/SKIP, the summary, and where it is recorded."""
    from rich.text import Text

    from shipyard.cli.evals import print_table

    candidate = result.candidate
    title = (
        f"gate {result.policy.get('name') or result.policy.get('source')}: {candidate['target']}"
    )
    rows = [
        (Text(status, style=_STATUS_STYLE.get(status, "")), text, values)
        for text, values, status in result.rows()
    ]
    print_table(title, ["", "condition", "values"], rows)
    passed = result.passed
    summary = result.render_lines()[-1]
    output.out.print(Text(summary, style="bold green" if passed else "bold red"))
    runs = [f"candidate evaluation {candidate['run_id'][:8]}"]
    runs += [f"{alias} {run[:8]}" for alias, run in result.baselines.items() if run]
    if result.verdict:
        runs.append(f"verdict {result.verdict.replace('_', ' ')}")
    output.err.print("; ".join(runs))
    if result.run_id:
        output.err.print(f"recorded as gate run {result.run_id} (experiment gates)")


def _title(policy: str) -> str:
    for line in policy.splitlines():
        if line.startswith("name:"):
            return line.partition(":")[2].strip().strip("'\"")
    return f"{len(policy.splitlines())} lines"


def _base(ref: str) -> str:
    from shipyard.core.refs import parse_ref

    return parse_ref(ref).base
