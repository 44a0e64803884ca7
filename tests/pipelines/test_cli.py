"""``shipyard pipelines run|list|show|resume`` through the real entry point."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.cli.main import main

FLOW = """
from pathlib import Path

import shipyard as sy


@sy.step
def numbers(n: int) -> list[int]:
    print("making", n, "numbers")
    return list(range(n))


@sy.step
def total(values: list[int], flag: str) -> int:
    if flag and Path(flag).exists():
        raise RuntimeError("flag file present")
    return sum(values)


@sy.pipeline
def flow(n: int = 3, flag: str = "", tags: list[str] | None = None):
    total(numbers(n), flag)


@sy.pipeline
def other():
    numbers(1)
"""


@pytest.fixture
def module(tmp_path: Path) -> Iterator[str]:
    """A pipeline module in the current folder, under a name no other test imported."""
    name = f"flow_{secrets.token_hex(4)}"
    (tmp_path / f"{name}.py").write_text(FLOW)
    yield name
    sys.modules.pop(name, None)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    assert main(["pipelines", *args, "--json"]) == 0, capsys.readouterr().err
    data: dict = json.loads(capsys.readouterr().out)  # type: ignore[type-arg]
    return data


def test_run_list_show_with_params_and_cache(module: str, capsys) -> None:
    first = run_json(
        capsys, "run", f"{module}:flow", "--param", "n=4", "-p", 'tags=["a","b"]', "-p", "flag="
    )
    assert first["status"] == "finished"
    assert first["params"] == {"n": 4, "flag": "", "tags": ["a", "b"]}
    assert [s["status"] for s in first["steps"]] == ["finished", "finished"]

    second = run_json(capsys, "run", f"{module}:flow", "-p", "n=4", "-p", 'tags=["a","b"]')
    assert [s["cached"] for s in second["steps"]] == [True, True]
    forced = run_json(capsys, "run", f"{module}:flow", "-p", "n=4", "--no-cache")
    assert [s["status"] for s in forced["steps"]] == ["finished", "finished"]

    listed = run_json(capsys, "list")
    assert [r["run_id"] for r in listed] == [forced["run_id"], second["run_id"], first["run_id"]]
    assert main(["pipelines", "list"]) == 0
    assert "flow" in capsys.readouterr().out

    shown = run_json(capsys, "show", second["run_id"][:8])
    assert shown["steps"][1]["cached_from"] == first["steps"][1]["run_id"]
    assert main(["pipelines", "show", second["run_id"][:8]]) == 0
    out = capsys.readouterr().out
    assert "numbers" in out and "cached" in out and second["steps"][0]["cache_key"][:12] in out


def test_run_shows_progress_on_stderr_and_nothing_on_stdout(module: str, capsys) -> None:
    assert main(["pipelines", "run", f"{module}:flow", "--executor", "inline"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "numbers" in captured.err and "total" in captured.err and "finished" in captured.err
    assert "pipeline flow finished in" in captured.err


def test_a_file_path_works_as_well_as_a_module(module: str, tmp_path: Path, capsys) -> None:
    result = run_json(capsys, "run", f"{tmp_path / module}.py:other")
    assert result["pipeline"].endswith(":other") and result["status"] == "finished"


def test_failure_is_one_line_exit_1_and_resume_completes(
    module: str, tmp_path: Path, capsys
) -> None:
    flag = tmp_path / "flag"
    flag.touch()
    code = main(["pipelines", "run", f"{module}:flow", "-p", f"flag={flag}"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: step total failed on its first attempt: RuntimeError: flag")
    failed_id = last.rsplit(" ", 1)[-1]
    assert "shipyard pipelines resume" in last

    assert main(["pipelines", "resume", failed_id]) == 1  # still failing
    capsys.readouterr()
    flag.unlink()
    resumed = run_json(capsys, "resume", failed_id)
    assert resumed["status"] == "finished"
    assert resumed["resumed_from"].startswith(failed_id)
    assert [s["status"] for s in resumed["steps"]] == ["cached", "finished"]


def test_failure_with_json_still_prints_the_run(module: str, tmp_path: Path, capsys) -> None:
    flag = tmp_path / "flag"
    flag.touch()
    assert main(["pipelines", "run", f"{module}:flow", "-p", f"flag={flag}", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "failed" and data["steps"][1]["status"] == "failed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nowhere_module:flow"], "no module named 'nowhere_module'"),
        (["run", "MODULE:missing"], "has no attribute 'missing'"),
        (["run", "MODULE:numbers"], "is a @sy.step"),
        (["run", "MODULE"], "expected module:pipeline"),
        (["run", "MODULE:flow", "-p", "n"], "--param takes key=value"),
        (["run", "MODULE:flow", "-p", "m=1"], "unexpected keyword argument 'm'"),
        (["run", "MODULE:flow", "--executor", "spark"], "unknown executor 'spark'"),
        (["show", "0000ffff"], "no run"),
        (["resume", "0000ffff"], "no run"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(module: str, capsys, args, message) -> None:
    args = [a.replace("MODULE", module) for a in args]
    assert main(["pipelines", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_show_and_resume_refuse_runs_that_do_not_fit(module: str, capsys) -> None:
    import shipyard as sy

    with sy.start_run(name="plain") as plain:
        pass
    assert main(["pipelines", "show", plain.id]) == 2
    assert "not a pipeline run" in capsys.readouterr().err
    done = run_json(capsys, "run", f"{module}:other")
    assert main(["pipelines", "resume", done["run_id"]]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_run_on_ray(module: str, capsys, ray_instance) -> None:
    result = run_json(capsys, "run", f"{module}:flow", "--executor", "ray", "-p", "n=5")
    assert result["executor"] == "ray" and result["status"] == "finished"
