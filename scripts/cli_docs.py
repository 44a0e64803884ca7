"""Write docs/cli.md from the CLI's own ``--help`` texts (a test checks it is current).

Run: .venv/bin/python scripts/cli_docs.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOC = Path(__file__).parents[1] / "docs" / "cli.md"


def commands() -> list[list[str]]:
    import typer

    from shipyard.cli.main import app

    root = typer.main.get_command(app)
    found: list[list[str]] = [[]]
    for name, cmd in sorted(root.commands.items()):  # type: ignore[attr-defined]
        found.append([name])
        for sub in sorted(getattr(cmd, "commands", {}) or {}):
            found.append([name, sub])
    return found


def render() -> str:
    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    os.environ["NO_COLOR"] = "1"
    from typer.testing import CliRunner

    from shipyard.cli.main import app

    runner = CliRunner()
    parts = [
        "# Command line reference\n",
        "Generated from the CLI's own help by `scripts/cli_docs.py`; a test fails when it is stale.\n",
        "Every listing takes `--json`; a user mistake prints one line on stderr and exits 2;",
        "`shipyard --debug …` shows tracebacks.\n",
    ]
    for argv in commands():
        result = runner.invoke(app, [*argv, "--help"], prog_name="shipyard", env={"COLUMNS": "100"})
        title = " ".join(["shipyard", *argv])
        text = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        parts.append(f"## `{title}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
