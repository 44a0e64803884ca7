"""``shipyard experiments``: list and delete experiments."""

from __future__ import annotations

import typer

from shipyard.cli import output
from shipyard.tracking import api

app = typer.Typer(help="Experiments: named groups of runs.", no_args_is_help=True)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List experiments, newest first."""
    found = api.list_experiments()
    if as_json:
        output.print_json([e.to_dict() for e in found])
        return
    output.table(
        None,
        ["id", "name", "runs", "created"],
        [(e.id, e.name, e.run_count, output.when(e.created_at)) for e in found],
    )


@app.command("delete")
def delete(
    experiment: str = typer.Argument(..., help="Name or id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete an experiment and all of its runs (run `shipyard gc` to free their files)."""
    from shipyard.workspace import current_workspace

    store = current_workspace().store
    exp = store.experiments.get(experiment)
    exp = next((e for e in store.experiments.list() if e.id == exp.id), exp)
    if not yes:
        typer.confirm(f"Delete experiment {exp.name!r} and its {exp.run_count} run(s)?", abort=True)
    api.delete_experiment(exp.id)
    output.err.print(f"deleted experiment {exp.name!r} ({exp.run_count} runs)")
