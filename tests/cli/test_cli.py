"""The CLI through its real entry point: tables, --json, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.cli.main import main


@pytest.fixture
def runs():  # type: ignore[no-untyped-def]
    made = []
    for i, model in enumerate(["gbm", "gbm", "logreg"]):
        with sy.start_run(experiment="credit", name=f"run-{i}", params={"model": model}) as run:
            run.log_metric("auc", 0.8 + i * 0.05)
            run.log_text(f"notes {i}", "notes.txt")
        made.append(run)
    return made


def test_experiments_list_table_and_json(runs, capsys) -> None:
    assert main(["experiments", "list"]) == 0
    out = capsys.readouterr().out
    assert "credit" in out and "3" in out
    assert main(["experiments", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["name"] == "credit" and data[0]["run_count"] == 3


def test_runs_list_search_show(runs, capsys) -> None:
    assert main(["runs", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["runs"]
    assert {r["name"] for r in listed} == {"run-0", "run-1", "run-2"}

    assert main(["runs", "search", "params.model = 'gbm'", "-o", "metrics.auc desc", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["runs"]
    assert [r["name"] for r in found] == ["run-1", "run-0"]

    assert main(["runs", "show", runs[2].id[:8]]) == 0
    out = capsys.readouterr().out
    assert "run-2" in out and "logreg" in out and "notes.txt" in out

    assert main(["runs", "show", runs[2].id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["environment"]["python"] == sys.version.split()[0]
    assert shown["artifacts"][0]["path"] == "notes.txt"


def test_pagination_prints_the_next_token(runs, capsys) -> None:
    assert main(["runs", "search", "--limit", "2"]) == 0
    assert "--page-token" in capsys.readouterr().err


def test_download_and_delete_then_gc(runs, capsys, tmp_path: Path) -> None:
    assert main(["runs", "download", runs[0].id, "--dst", str(tmp_path / "dl")]) == 0
    assert (tmp_path / "dl" / "notes.txt").read_text() == "notes 0"
    assert main(["runs", "delete", runs[0].id[:8], "--yes"]) == 0
    with pytest.raises(sy.NotFound):
        sy.get_run(runs[0].id)
    capsys.readouterr()
    assert main(["gc", "--grace", "0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["deleted"] == 1 and report["bytes_freed"] == len("notes 0")


def test_delete_experiment(runs, capsys) -> None:
    assert main(["experiments", "delete", "credit", "--yes"]) == 0
    assert sy.list_experiments() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["runs", "search", "metrics.auc >"], "position 14"),
        (["runs", "show", "ffffffff"], "no run 'ffffffff'"),
        (["experiments", "delete", "nope", "--yes"], "no experiment 'nope'"),
        (["runs", "search", "status = 'done'"], "status 'done' does not exist"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(runs, capsys, argv, message) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_debug_shows_the_traceback(runs) -> None:
    with pytest.raises(sy.NotFound):
        main(["--debug", "runs", "show", "ffffffff"])


def test_usage_errors_exit_2(capsys) -> None:
    assert main(["runs", "frobnicate"]) == 2


def test_real_console_script_prints_no_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("shipyard")
    env = {"SHIPYARD_HOME": str(tmp_path / "h"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(exe), "runs", "show", "abcdabcd"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "error: no run 'abcdabcd'"
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env)
    assert version.stdout.strip() == f"shipyard {sy.__version__}"


def test_broken_store_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    home = tmp_path / "broken"
    home.mkdir()
    (home / "shipyard.db").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("SHIPYARD_HOME", str(home))
    assert main(["runs", "list"]) == 1
    err = capsys.readouterr().err
    assert "not a SQLite database" in err and "Traceback" not in err


def test_bad_database_url_is_a_user_error(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SHIPYARD_DB", "mysql://nope")
    assert main(["runs", "list"]) == 2
    assert "SQLite or PostgreSQL" in capsys.readouterr().err
