"""Registering inside a run records who produced a version; reading records who consumed it."""

from __future__ import annotations

import pytest

import shipyard as sy
from shipyard.assets.lineage import lineage_graph
from shipyard.assets.registry import read_file, register_files, use
from shipyard.workspace import current_workspace

pytestmark = pytest.mark.usefixtures("registry_backend")


def test_runs_and_versions_form_a_lineage_graph() -> None:
    with sy.start_run(experiment="etl", name="ingest") as ingest:
        raw, _ = register_files("dataset", "raw", {"data.csv": b"a,b\n1,2\n"})
    clean, _ = register_files(
        "dataset", "clean", {"data.csv": b"a,b\n1,2\n"}, derived_from=[raw.ref]
    )
    with sy.start_run(experiment="train", name="fit") as fit:
        used = use("dataset:clean@latest")
        model, _ = register_files("model", "churn", {"model.bin": b"\x00weights"})
    assert used.ref == clean.ref
    assert raw.run_id == ingest.id and model.run_id == fit.id

    up = lineage_graph("model:churn@1", "up")
    assert up.nodes == [
        "model:churn@1",
        f"run:{fit.id}",
        "dataset:clean@1",
        "dataset:raw@1",
        f"run:{ingest.id}",
    ]
    assert (f"run:{fit.id}", "model:churn@1", "produced") in up.edges
    assert ("dataset:clean@1", f"run:{fit.id}", "consumed") in up.edges
    assert ("dataset:raw@1", "dataset:clean@1", "derived_from") in up.edges

    down = lineage_graph("dataset:raw@1", "down")
    assert down.nodes[-1] == "model:churn@1"
    assert [n for n, _ in down.children("dataset:raw@1")] == ["dataset:clean@1"]


def test_reading_one_file_of_a_version() -> None:
    version, created = register_files("dataset", "docs", {"a.txt": b"alpha", "b.txt": b"beta"})
    assert created
    with read_file(version, "b.txt") as fh:
        assert fh.read() == b"beta"
    again, created_again = register_files("dataset", "docs", {"a.txt": b"alpha", "b.txt": b"beta"})
    assert not created_again and again.version == 1
    assert current_workspace().store.assets.resolve("dataset:docs").version == 1


def test_a_huge_fan_out_is_capped() -> None:
    raw, _ = register_files("dataset", "raw", {"d.csv": b"x"})
    for i in range(12):
        with sy.start_run(name=f"reader-{i}"):
            use(raw.ref)
    down = lineage_graph(raw.ref, "down", max_nodes=5)
    assert len(down.nodes) == 5
    assert all(a in down.nodes and b in down.nodes for a, b, _ in down.edges)
