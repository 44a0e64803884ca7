"""``shipyard predict``: batch inference over a file, in this process or on Ray."""

from __future__ import annotations

from pathlib import Path

import typer

from shipyard.cli import output


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)


def predict(
    model: str = typer.Argument(
        ..., help="A model version (model:credit@production) or a saved model folder."
    ),
    input: Path = typer.Option(
        ..., "--input", "-i", help="A .parquet (read in chunks), .csv, .tsv or .jsonl file."
    ),
    output_path: Path = typer.Option(
        ..., "--output", "-o", help="The .parquet file to write: the input's columns + prediction."
    ),
    executor: str = typer.Option("local", "--executor", "-e", help="local or ray."),
    ray_address: str = typer.Option(
        None,
        "--ray-address",
        envvar="SHIPYARD_RAY_ADDRESS",
        help="A Ray cluster to use (default: a local Ray instance).",
    ),
    workers: int = typer.Option(
        None, "--workers", min=1, help="With Ray: chunks predicted at once (default: its CPUs)."
    ),
    batch_size: int = typer.Option(
        50_000, "--batch-size", min=1, help="Rows per chunk: the unit of work and of memory."
    ),
    proba: bool = typer.Option(False, "--proba", help="Add a proba_<class> column per class."),
    trust: bool = typer.Option(
        False, "--trust", help="Load a model that needs types or code beyond the safe defaults."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Predict every row of a file and write the rows with their predictions, as Parquet.

    The output appears only when complete. The job is a tracked run that
    consumed the model version; predictions are the values the REST server
    would return for the same rows.
    """
    from shipyard.core.errors import InvalidInput
    from shipyard.serving.batch import EXECUTORS, predict_file

    if executor not in EXECUTORS:
        raise InvalidInput(f"unknown executor {executor!r}; use one of: {', '.join(EXECUTORS)}")
    result = predict_file(
        model,
        input,
        output_path,
        executor=executor,  # narrowed to the known names just above
        ray_address=ray_address,
        workers=workers,
        batch_size=batch_size,
        proba=proba,
        trusted=trust,
        progress=not as_json,
    )
    if as_json:
        output.print_json(result.to_dict())
        return
    output.out.print(
        f"wrote {result.rows:,} rows to [bold]{result.output}[/] with {result.model} in "
        f"{output.duration(round(result.seconds * 1000))} ({result.rows_per_second:,.0f} rows/s, "
        f"{result.executor}); run {result.run_id[:8]}",
        highlight=False,
    )
