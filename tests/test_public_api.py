"""The public surface of ``import shipyard``: exactly these names, and a fast import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import shipyard

EXPECTED = {
    "llm",
    "ActiveRun",
    "Conflict",
    "Experiment",
    "InvalidInput",
    "MetricPoint",
    "NotFound",
    "Run",
    "RunPage",
    "Settings",
    "ShipyardError",
    "StoreError",
    "UserError",
    "Workspace",
    "__version__",
    "active_run",
    "collect_garbage",
    "datasets",
    "delete_experiment",
    "delete_run",
    "download_artifacts",
    "evals",
    "get_run",
    "indexes",
    "list_experiments",
    "metric_history",
    "models",
    "pipeline",
    "pipelines",
    "prompts",
    "search_runs",
    "start_run",
    "step",
    "trace",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(shipyard.__all__) == EXPECTED
    assert len(shipyard.__all__) == len(EXPECTED)
    assert sorted(dir(shipyard)) == sorted(EXPECTED)


def test_every_public_name_resolves() -> None:
    for name in shipyard.__all__:
        assert getattr(shipyard, name) is not None, name
    from shipyard.core.errors import ShipyardError
    from shipyard.tracking.api import start_run

    assert shipyard.start_run is start_run
    assert issubclass(shipyard.NotFound, ShipyardError)
    assert isinstance(shipyard.__version__, str)


def test_unknown_attribute_is_an_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        shipyard.nope  # type: ignore[attr-defined]


PROBE = textwrap.dedent(
    """
    import json, sys, time
    t = time.perf_counter()
    import shipyard
    elapsed = time.perf_counter() - t
    heavy = [m for m in ("sqlalchemy", "alembic", "fastapi", "httpx", "fsspec", "typer", "rich")
             if m in sys.modules]
    print(json.dumps({"seconds": elapsed, "heavy": heavy}))
    """
)


def test_import_is_fast_and_light() -> None:
    results = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
        )
        results.append(json.loads(out.stdout))
    assert all(r["heavy"] == [] for r in results), results
    best = min(r["seconds"] for r in results)
    assert best < 0.3, f"import shipyard took {best * 1000:.0f} ms at best"


def test_evals_namespace_is_the_evals_api() -> None:
    import shipyard.evals.compare  # binds the package to shipyard.evals, as any import does
    from shipyard.evals import api
    from shipyard.evals.promotion import promote, run_gate
    from shipyard.evals.runner import evaluate

    assert shipyard.evals.evaluate is evaluate
    assert shipyard.evals.run_gate is run_gate and shipyard.evals.promote is promote
    assert shipyard.evals.compare_evaluations is shipyard.evals.compare.compare
    for name in api.__all__:
        assert getattr(shipyard.evals, name) is getattr(api, name), name
