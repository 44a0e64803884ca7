"""``shipyard datasets``: register tables and folders, show their statistics, diff versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shipyard.cli import output

app = typer.Typer(help="Dataset versions: tables and folders of files.", no_args_is_help=True)
_JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("register")
def register(
    path: Path = typer.Argument(..., help="A .parquet or .csv file, or a folder of files."),
    name: str = typer.Option(..., "--name", "-n", help="The dataset's name."),
    derived_from: list[str] = typer.Option(
        None, "--derived-from", help="Source version (repeatable)."
    ),
    as_json: bool = _JSON,
) -> None:
    """Register a file or folder as the next version (identical content: no new version)."""
    import shipyard as sy

    version = sy.datasets.register(path, name, derived_from=derived_from or ())
    if as_json:
        output.print_json(version.to_dict())
        return
    output.out.print(version.ref)


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="e.g. dataset:credit@3"), as_json: bool = _JSON
) -> None:
    """Schema, row count and per-column statistics of a version."""
    import shipyard as sy

    version = sy.datasets.get(ref)
    if as_json:
        output.print_json(version.to_dict())
        return
    meta = version.metadata
    if meta.get("format") == "folder":
        output.out.print(
            f"{version.ref}: a folder of {meta['files']:,} files, {output.filesize(meta['bytes'])}"
        )
        return
    output.out.print(
        f"{version.ref}: {meta.get('num_rows', 0):,} rows × {meta.get('num_columns', 0)} columns"
    )
    output.table(
        None,
        ["column", "type", "nulls", "summary"],
        [_column_row(n, c) for n, c in meta.get("columns", {}).items()],
    )


def _column_row(name: str, c: dict[str, Any]) -> tuple[Any, ...]:
    kind = c.get("kind")
    if kind == "numeric":
        summary = f"min {output.fmt(c.get('min'))}  mean {output.fmt(c.get('mean'))}  max {output.fmt(c.get('max'))}"
    elif c.get("top"):
        summary = f"{c.get('distinct', '?')} distinct; top: " + ", ".join(
            f"{t['value']} ({t['count']})" for t in c["top"][:3]
        )
    elif kind == "boolean":
        summary = f"true {c.get('true')}  false {c.get('false')}"
    else:
        summary = f"{c.get('min', '')} … {c.get('max', '')}".strip(" …")
    return (name, c.get("type"), c.get("nulls"), summary)


@app.command("diff")
def diff(
    old: str = typer.Argument(..., help="e.g. dataset:credit@2"),
    new: str = typer.Argument(..., help="e.g. dataset:credit@3"),
    key: list[str] = typer.Option(
        None, "--key", "-k", help="Key column(s); default: compare row hashes."
    ),
    as_json: bool = _JSON,
) -> None:
    """Schema changes and rows added, removed and changed between two versions."""
    import shipyard as sy

    result = sy.datasets.diff(old, new, key=key or None)
    if as_json:
        output.print_json(result.to_dict())
        return
    output.out.print(result.summary())
