"""``shipyard assets``: every kind of asset, by reference ``KIND:NAME[@VERSION|@ALIAS]``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from shipyard.cli import output
from shipyard.core.refs import parse_ref

if TYPE_CHECKING:
    from shipyard.workspace import Workspace

app = typer.Typer(
    help="Versioned assets: datasets, models, prompts, indexes.", no_args_is_help=True
)
_JSON = typer.Option(False, "--json", help="Print JSON.")


def _ws() -> Workspace:
    from shipyard.workspace import current_workspace

    return current_workspace()


@app.command("list")
def list_(
    kind: str = typer.Option(None, "--kind", "-k", help="dataset, model, prompt or index."),
    as_json: bool = _JSON,
) -> None:
    """Every asset with its latest version and aliases."""
    found = _ws().store.assets.list(kind)
    if as_json:
        output.print_json([a.to_dict() for a in found])
        return
    output.table(
        None,
        ["asset", "latest", "versions", "aliases", "created"],
        [
            (
                f"{a.kind}:{a.name}",
                a.latest_version,
                a.version_count,
                ", ".join(f"{k}→{v}" for k, v in sorted(a.aliases.items())),
                output.when(a.created_at),
            )
            for a in found
        ],
    )


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="e.g. model:churn@production"), as_json: bool = _JSON
) -> None:
    """One version: metadata, files, aliases, the run that made it."""
    ws = _ws()
    version = ws.store.assets.resolve(ref)
    files = ws.store.assets.files(version.ref)
    if as_json:
        output.print_json({**version.to_dict(), "files": [f.to_dict() for f in files]})
        return
    output.table(
        version.ref,
        ["field", "value"],
        [
            ("digest", version.digest),
            ("aliases", ", ".join(version.aliases) or None),
            ("created", output.when(version.created_at)),
            ("created by", version.created_by),
            ("run", version.run_id),
        ],
    )
    if version.metadata:
        rows = [
            (k, v if isinstance(v, str | int | float) else json.dumps(v)[:120])
            for k, v in sorted(version.metadata.items())
        ]
        output.table("metadata", ["key", "value"], rows)
    output.table(
        f"files ({len(files)})",
        ["path", "size", "packed"],
        [(f.path, output.filesize(f.size), "yes" if f.pack_digest else "") for f in files[:50]],
    )
    if len(files) > 50:
        output.err.print(f"… and {len(files) - 50} more (--json lists them all)")


@app.command("versions")
def versions(ref: str = typer.Argument(..., help="KIND:NAME"), as_json: bool = _JSON) -> None:
    """Every version of one asset, newest first."""
    parsed = parse_ref(ref)
    found = _ws().store.assets.versions(parsed.kind, parsed.name)
    if as_json:
        output.print_json([v.to_dict() for v in found])
        return
    output.table(
        parsed.base,
        ["version", "aliases", "created", "by", "run", "digest"],
        [
            (
                v.version,
                ", ".join(v.aliases),
                output.when(v.created_at),
                v.created_by,
                (v.run_id or "")[:8],
                v.digest[:12],
            )
            for v in found
        ],
    )


@app.command("alias")
def alias(
    ref: str = typer.Argument(..., help="The version to point at, e.g. model:churn@7"),
    name: str = typer.Argument(..., help="The alias, e.g. production"),
    protect: bool = typer.Option(None, "--protect/--unprotect", help="Protect (or unprotect) it."),
    delete: bool = typer.Option(False, "--delete", help="Remove the alias."),
) -> None:
    """Move an alias to a version (every move is recorded), protect it, or delete it."""
    from shipyard.assets.aliases import delete_alias, move_alias, protect_alias

    if delete:
        delete_alias(ref, name)
        output.err.print(f"deleted alias {name} of {parse_ref(ref).base}")
        return
    if protect is not None:
        result = protect_alias(ref, name, protect)
        output.err.print(
            f"{name} of {parse_ref(ref).base} is {'protected' if result.protected else 'unprotected'}"
        )
        return
    move = move_alias(ref, name)
    was = "new" if move.from_version is None else f"was {move.from_version}"
    output.err.print(f"{parse_ref(ref).base}@{name} → version {move.to_version} ({was})")


@app.command("promote")
def promote(
    ref: str = typer.Argument(..., help="The version to promote, e.g. model:sentiment@7"),
    to: str = typer.Option(..., "--to", help="The alias to move, e.g. production"),
    policy: Path = typer.Option(
        None, "--policy", "-p", help="A gate policy to check when the alias has no gate."
    ),
    reuse: bool = typer.Option(
        True, "--reuse/--no-reuse", help="Reuse stored evaluations of the same versions."
    ),
) -> None:
    """Move an alias through its gate: refused (exit 1) unless every condition holds."""
    from shipyard.cli.gates import print_gate
    from shipyard.evals.promotion import promote as promote_version

    move, result = promote_version(ref, to, policy=policy, reuse=reuse, progress=True)
    if result is not None:
        print_gate(result)
    base = parse_ref(ref).base
    if move is None:
        output.err.print(
            f"[bold red]refused:[/] {base}@{to} stays where it was; the failing conditions "
            "are above",
            highlight=False,
        )
        raise typer.Exit(1)
    was = "new" if move.from_version is None else f"was {move.from_version}"
    output.out.print(f"{base}@{to} → version {move.to_version} ({was})", highlight=False)
    if result is not None:
        output.err.print(
            f"evidence: gate run {result.run_id} and the alias history "
            f"(shipyard assets aliases {base} --history)"
        )


@app.command("aliases")
def aliases(
    ref: str = typer.Argument(..., help="KIND:NAME"),
    history: bool = typer.Option(False, "--history", help="Every move: who, when, from, to."),
    as_json: bool = _JSON,
) -> None:
    """The aliases of an asset, or the history of their moves."""
    ws = _ws()
    parsed = parse_ref(ref)
    if history:
        moves = ws.store.aliases.history(parsed)
        if as_json:
            output.print_json([m.to_dict() for m in moves])
            return
        output.table(
            f"{parsed.base} alias moves",
            ["when", "alias", "from", "to", "by", "evidence"],
            [
                (
                    output.when(m.moved_at),
                    m.alias,
                    m.from_version,
                    m.to_version,
                    m.moved_by,
                    m.evidence,
                )
                for m in moves
            ],
        )
        return
    found = ws.store.aliases.list(parsed)
    if as_json:
        output.print_json([a.to_dict() for a in found])
        return
    output.table(
        parsed.base,
        ["alias", "version", "protected", "moved"],
        [
            (a.alias, a.version, "yes" if a.protected else "", output.when(a.updated_at))
            for a in found
        ],
    )


@app.command("download")
def download(
    ref: str = typer.Argument(..., help="e.g. dataset:docs@3"),
    path: str = typer.Option(None, "--path", "-p", help="One file or folder of the version."),
    dst: Path = typer.Option(Path("."), "--dst", "-d", help="Folder to write into."),
) -> None:
    """Download a version's files (or just one, without fetching the rest)."""
    from shipyard.assets.download import download_version

    for f in download_version(ref, dst, path):
        output.out.print(str(f))


@app.command("delete")
def delete(
    ref: str = typer.Argument(..., help="A version (KIND:NAME@N) or, with --all, the asset."),
    all_versions: bool = typer.Option(False, "--all", help="Delete the asset with every version."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a version (not one an alias points at) or a whole asset; `shipyard gc` frees the files."""
    ws = _ws()
    parsed = parse_ref(ref)
    what = (
        f"{parsed.base} and all its versions"
        if all_versions
        else str(ws.store.assets.resolve(parsed).ref)
    )
    if not yes:
        typer.confirm(f"Delete {what}?", abort=True)
    target = parsed if all_versions else ws.store.assets.resolve(parsed).ref
    ws.store.assets.delete(target, whole_asset=all_versions)
    output.err.print(f"deleted {what}")
