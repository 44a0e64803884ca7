"""`shipyard assets` and `shipyard lineage` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.assets.registry import register_files
from shipyard.cli.main import main


@pytest.fixture
def registry():  # type: ignore[no-untyped-def]
    with sy.start_run(name="prep") as prep:
        register_files("dataset", "credit", {"train.csv": b"a\n1\n", "test.csv": b"a\n2\n"})
    with sy.start_run(name="fit") as fit:
        from shipyard.assets.registry import use

        use("dataset:credit@1")
        register_files("model", "churn", {"model.bin": b"v1"})
        register_files("model", "churn", {"model.bin": b"v2"})
    return prep, fit


def test_list_show_versions(registry, capsys) -> None:
    assert main(["assets", "list", "--json"]) == 0
    listed = {a["name"]: a for a in json.loads(capsys.readouterr().out)}
    assert listed["churn"]["latest_version"] == 2 and listed["credit"]["kind"] == "dataset"
    assert main(["assets", "show", "dataset:credit@1"]) == 0
    out = capsys.readouterr().out
    assert "train.csv" in out and "test.csv" in out
    assert main(["assets", "versions", "model:churn", "--json"]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)] == [2, 1]


def test_alias_moves_protection_and_history(registry, capsys) -> None:
    assert main(["assets", "alias", "model:churn@1", "production"]) == 0
    assert main(["assets", "alias", "model:churn@production", "production", "--protect"]) == 0
    assert main(["assets", "alias", "model:churn@2", "production"]) == 2
    assert "protected" in capsys.readouterr().err
    assert main(["assets", "aliases", "model:churn", "--json"]) == 0
    (alias,) = json.loads(capsys.readouterr().out)
    assert (alias["alias"], alias["version"], alias["protected"]) == ("production", 1, True)
    assert main(["assets", "aliases", "model:churn", "--history", "--json"]) == 0
    moves = json.loads(capsys.readouterr().out)
    assert [m["evidence"] for m in moves] == ["protected", None]


def test_download_one_file(registry, capsys, tmp_path: Path) -> None:
    assert (
        main(
            ["assets", "download", "dataset:credit@1", "--path", "test.csv", "--dst", str(tmp_path)]
        )
        == 0
    )
    assert (tmp_path / "test.csv").read_bytes() == b"a\n2\n"
    assert not (tmp_path / "train.csv").exists()


def test_delete_refuses_an_aliased_version(registry, capsys) -> None:
    main(["assets", "alias", "model:churn@1", "production"])
    assert main(["assets", "delete", "model:churn@1", "--yes"]) == 2
    assert "production" in capsys.readouterr().err
    assert main(["assets", "delete", "model:churn@2", "--yes"]) == 0


def test_lineage_tree(registry, capsys) -> None:
    prep, fit = registry
    assert main(["lineage", "model:churn@2", "--up"]) == 0
    out = capsys.readouterr().out
    assert "dataset:credit@1" in out and f"run {fit.id[:8]}" in out and f"run {prep.id[:8]}" in out
    assert main(["lineage", "dataset:credit@1", "--down", "--json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert {"model:churn@1", "model:churn@2"} <= set(graph["nodes"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["assets", "show", "modle:churn"], "did you mean 'model'"),
        (["assets", "show", "model:chrun"], "closest: 'churn'"),
        (["assets", "show", "model:churn@9"], "no version 9"),
        (["lineage", "model:churn", "--up", "--down"], "not both"),
    ],
)
def test_reference_mistakes_are_one_line(registry, capsys, argv, message) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
