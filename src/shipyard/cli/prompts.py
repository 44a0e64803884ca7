"""``shipyard prompts``: create prompt versions, list, show, render, diff and test them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from shipyard.cli import output
from shipyard.core.errors import InvalidInput

if TYPE_CHECKING:
    from shipyard.store.asset_records import Asset, AssetVersion

app = typer.Typer(help="Prompt versions: chat templates with model settings.", no_args_is_help=True)
_JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The prompt's name."),
    file: Path = typer.Option(None, "--file", "-f", help="A JSON spec or a plain template file."),
    text: str = typer.Option(
        None, "--text", "-t", help="A template, e.g. 'Q: {{ question }}\\nA:'"
    ),
    model: str = typer.Option(None, "--model", help="e.g. gemma-3-270m"),
    provider: str = typer.Option(None, "--provider", help="e.g. local, openai, anthropic"),
    temperature: float = typer.Option(None, "--temperature"),
    max_tokens: int = typer.Option(None, "--max-tokens"),
    schema: Path = typer.Option(None, "--schema", help="JSON schema file for the response."),
    as_json: bool = _JSON,
) -> None:
    """Register a new prompt version (the same prompt again: no new version)."""
    import shipyard as sy

    if (file is None) == (text is None):
        raise InvalidInput("give the prompt with exactly one of --file or --text")
    body = text if text is not None else _read(file)
    settings = {
        k: v
        for k, v in {
            "provider": provider,
            "model": model,
            "temperature": temperature,
            "max_tokens": max_tokens,
        }.items()
        if v is not None
    }
    response_schema = None
    if schema is not None:
        try:
            response_schema = json.loads(_read(schema))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{schema} is not JSON: {exc}") from None
    version = sy.prompts.create(name, body, model=settings or None, response_schema=response_schema)
    if as_json:
        output.print_json(version.to_dict())
        return
    output.out.print(version.ref)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="e.g. prompt:support@production"), as_json: bool = _JSON
) -> None:
    """The messages, variables and model settings of a version."""
    import shipyard as sy

    spec = sy.prompts.get(ref)
    if as_json:
        output.print_json(spec.to_dict())
        return
    for m in spec.messages:
        output.out.print(f"[bold]{m.role}[/]", highlight=False)
        output.out.print(m.content, markup=False, highlight=False)
    output.err.print(f"variables: {', '.join(spec.variables) or 'none'}")
    if spec.model:
        output.err.print(f"model: {json.dumps(spec.model.to_dict())}")


@app.command("render")
def render(
    ref: str = typer.Argument(..., help="e.g. prompt:support@2"),
    var: list[str] = typer.Option(None, "--var", "-v", help="name=value (repeatable)."),
    as_json: bool = _JSON,
) -> None:
    """Fill a version's variables and print the messages."""
    import shipyard as sy

    variables: dict[str, Any] = {}
    for item in var or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--var takes name=value, got {item!r}")
        variables[key] = value
    messages = sy.prompts.render(ref, **variables)
    if as_json:
        output.print_json(messages)
        return
    for m in messages:
        output.out.print(f"[bold]{m['role']}[/]", highlight=False)
        output.out.print(m["content"], markup=False, highlight=False)


@app.command("list")
def list_(as_json: bool = _JSON) -> None:
    """Every prompt: its latest version, aliases, variables, model and when it last changed."""
    rows = [_summary(asset, latest) for asset, latest in _latest_versions()]
    if as_json:
        output.print_json(rows)
        return
    output.table(
        None,
        ["prompt", "latest", "aliases", "variables", "model", "updated"],
        [
            (
                f"prompt:{r['name']}",
                r["latest_version"],
                ", ".join(f"{k}→{v}" for k, v in sorted(r["aliases"].items())) or None,
                ", ".join(r["variables"]) or None,
                r["model"],
                output.when(r["updated_at"]),
            )
            for r in rows
        ],
    )


def _latest_versions() -> list[tuple[Asset, AssetVersion]]:
    from shipyard.workspace import current_workspace

    store = current_workspace().store.assets
    return [
        (a, store.resolve(f"prompt:{a.name}@{a.latest_version}"))
        for a in store.list("prompt")
        if a.latest_version is not None
    ]


def _summary(asset: Asset, latest: AssetVersion) -> dict[str, Any]:
    meta = latest.metadata
    provider, model = meta.get("provider"), meta.get("model")
    return {
        "name": asset.name,
        "ref": latest.ref,
        "latest_version": latest.version,
        "versions": asset.version_count,
        "aliases": dict(asset.aliases),
        "variables": list(meta.get("variables") or []),
        "model": f"{provider}/{model}" if provider and model else model,
        "description": meta.get("description") or None,
        "updated_at": latest.created_at,
    }


@app.command("diff")
def diff(
    old: str = typer.Argument(..., help="e.g. prompt:support@1"),
    new: str = typer.Argument(
        None,
        help="e.g. prompt:support@2, or just @2 for the same prompt;"
        " default: OLD against the version before it.",
        show_default=False,
    ),
    as_json: bool = _JSON,
) -> None:
    """A unified diff of two versions' messages and model settings."""
    import shipyard as sy
    from shipyard.assets.registry import resolve

    first = resolve(old, "prompt")
    if new is None:
        if first.version == 1:
            raise InvalidInput(
                f"{first.ref} is the first version, there is nothing before it;"
                " name two versions, e.g. 'shipyard prompts diff prompt:NAME@1 @2'"
            )
        first, second = resolve(f"prompt:{first.name}@{first.version - 1}"), first
    else:
        shorthand = new.startswith("@") or new.isdigit()
        target = f"prompt:{first.name}{new if new.startswith('@') else '@' + new}"
        second = resolve(target if shorthand else new, "prompt")
    lines = sy.prompts.diff(first.ref, second.ref)
    if as_json:
        output.print_json(
            {"old": first.ref, "new": second.ref, "identical": not lines, "diff": lines}
        )
        return
    if not lines:
        output.err.print(f"{first.ref} and {second.ref} hold the same prompt")
        return
    for line in lines:
        output.out.print(
            line, style=_diff_style(line), markup=False, highlight=False, soft_wrap=True
        )


def _diff_style(line: str) -> str | None:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    return None


@app.command("test")
def test(
    ref: str = typer.Argument(..., help="The version to test, e.g. prompt:support@3."),
    data: str = typer.Option(
        None, "--data", "-d", help="The eval dataset, e.g. dataset:support-eval@1."
    ),
    scorer: list[str] = typer.Option(
        [], "--scorer", "-s", help="A scorer spec (accuracy, f1, contains:text=…); repeat."
    ),
    condition: list[str] = typer.Option(
        [], "--condition", "-c", help="A condition that must hold, e.g. 'accuracy >= 0.9'; repeat."
    ),
    model: str = typer.Option(
        None, "--model", "-m", help="The model to run on (default: the one the prompt names)."
    ),
    against: str = typer.Option(
        "production",
        "--against",
        help="The alias it would go live at: its gate, or its version to beat.",
    ),
    policy: Path = typer.Option(None, "--policy", "-p", help="A YAML gate policy to check."),
    reuse: bool = typer.Option(
        True, "--reuse/--no-reuse", help="Reuse stored evaluations of the same versions."
    ),
    as_json: bool = _JSON,
) -> None:
    """Run a prompt version's evaluation and check it before it goes live; exit 1 if it fails.

    With --data, the version runs over that dataset: every case must run, each
    --condition must hold, and it must not be significantly worse than the
    version at --against. Without --data, the gate attached to --against runs
    (what `shipyard assets promote REF --to production` would check).
    """
    from shipyard.cli.evals import metrics_table
    from shipyard.cli.gates import print_gate
    from shipyard.evals.prompt_test import run_prompt_test
    from shipyard.evals.storage import load_evaluation

    result = run_prompt_test(
        ref,
        policy=policy,
        data=data,
        scorers=scorer,
        conditions=condition,
        model=model,
        against=against or None,
        reuse=reuse,
        progress=True,
    )
    if as_json:
        output.print_json(result.to_dict())
    else:
        metrics_table(load_evaluation(result.candidate["run_id"]).metrics)
        print_gate(result)
    if not result.passed:
        raise typer.Exit(1)
