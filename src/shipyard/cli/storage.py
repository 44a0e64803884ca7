"""``shipyard gc``: free the blobs nothing refers to any more."""

from __future__ import annotations

import typer

from shipyard.cli import output


def register(app: typer.Typer) -> None:
    app.command("gc")(gc)


def gc(
    grace: float = typer.Option(
        300.0, "--grace", help="Keep unreferenced blobs younger than this many seconds."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report, delete nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete every stored file that no run (or other record) refers to, and report the bytes freed."""
    from shipyard.workspace import collect_garbage, current_workspace

    ws = current_workspace()
    with output.err.status("scanning blobs…"):
        report = collect_garbage(ws, grace_seconds=grace, dry_run=dry_run)
    if as_json:
        output.print_json(report.to_dict())
        return
    verb = "would free" if dry_run else "freed"
    output.out.print(
        f"{verb} {output.filesize(report.bytes_freed)} in {report.deleted} blob(s) "
        f"of {report.scanned} scanned"
    )
    if report.kept_young:
        output.err.print(
            f"kept {report.kept_young} unreferenced blob(s) younger than {grace:g}s "
            "(they may belong to an upload in progress; --grace 0 removes them now)"
        )
