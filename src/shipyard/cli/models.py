"""``shipyard models``: register a model file, show a version's flavor, signature and metrics."""

from __future__ import annotations

from pathlib import Path

import typer

from shipyard.cli import output
from shipyard.core.errors import InvalidInput

app = typer.Typer(help="Model versions: scikit-learn, ONNX, Python classes.", no_args_is_help=True)
_JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("register")
def register(
    path: Path = typer.Argument(
        ..., help="An .onnx file (scikit-learn models register from Python)."
    ),
    name: str = typer.Option(..., "--name", "-n", help="The model's name."),
    sample: Path = typer.Option(
        ..., "--sample", "-s", help="A .csv or .parquet of example inputs: the signature."
    ),
    as_json: bool = _JSON,
) -> None:
    """Register a model file as the next version, with the signature of a sample input."""
    import shipyard as sy
    from shipyard.assets.datasets.tables import to_arrow, to_pandas

    if not path.is_file():
        raise InvalidInput(f"no model file at {path}")
    version = sy.models.register(path, name, sample_input=to_pandas(to_arrow(sample)))
    if as_json:
        output.print_json(version.to_dict())
        return
    output.out.print(version.ref)


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="e.g. model:churn@production"), as_json: bool = _JSON
) -> None:
    """Flavor, input signature, requirements and the metrics of the run that made it."""
    import shipyard as sy

    version = sy.models.get(ref)
    if as_json:
        output.print_json(version.to_dict())
        return
    meta = version.metadata
    output.out.print(
        f"{version.ref}  flavor [bold]{meta.get('flavor')}[/]  aliases: {', '.join(version.aliases) or '–'}"
    )
    sig = meta.get("signature") or {}
    output.table(
        "signature (inputs)",
        ["column", "type", "nullable"],
        [(c["name"], c["type"], "yes" if c.get("nullable") else "") for c in sig.get("inputs", [])],
    )
    if meta.get("run_metrics"):
        output.table("run metrics", ["metric", "value"], sorted(meta["run_metrics"].items()))
    if meta.get("requirements"):
        output.table("requirements", ["package", "version"], sorted(meta["requirements"].items()))


@app.command("package")
def package(
    ref: str = typer.Argument(..., help="e.g. model:credit@production"),
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write the build context to."),
    base_image: str = typer.Option(
        None,
        "--base-image",
        help="Base image (default: python:X.Y-slim for the Python the model was saved with).",
    ),
    wheel: Path = typer.Option(
        None, "--wheel", help="A shipyard wheel to install in the image instead of the index's."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty --out folder."),
    trust: bool = typer.Option(
        False, "--trust", help="Serve with --trust (models whose files run code)."
    ),
    as_json: bool = _JSON,
) -> None:
    """Write a Docker build context (Dockerfile, model, requirements) that serves a version."""
    from shipyard.serving.package import package_model

    result = package_model(ref, out, base_image=base_image, wheel=wheel, force=force, trust=trust)
    if as_json:
        output.print_json(result.to_dict())
        return
    output.out.print(
        f"packaged {result.version} into [bold]{result.path}[/]; "
        f"build it with: docker build -t {result.version.removeprefix('model:').replace('@', ':')} "
        f"{result.path}",
        highlight=False,
    )
