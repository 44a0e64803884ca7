"""Run lifecycle: nesting, final status, ending, and the active-run stack."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.core.errors import NotFound


def test_nested_runs_get_their_parent_and_experiment() -> None:
    with sy.start_run(experiment="sweep", name="parent") as parent:
        assert sy.active_run() is parent
        with sy.start_run(name="child") as child:
            assert sy.active_run() is child
            with sy.start_run(name="grandchild") as grandchild:
                assert sy.active_run() is grandchild
            assert sy.active_run() is child
        assert sy.active_run() is parent
    assert sy.active_run() is None

    p, c, g = (sy.get_run(r.id) for r in (parent, child, grandchild))
    assert p.parent_id is None
    assert c.parent_id == parent.id and g.parent_id == child.id
    assert p.experiment == c.experiment == g.experiment == "sweep"
    assert child.parent_id == parent.id
    # children share the parent's captured environment
    assert p.env_digest is not None and c.env_digest == g.env_digest == p.env_digest
    assert {r.status for r in (p, c, g)} == {"finished"}
    children = sy.search_runs(f"parent_id = '{parent.id}'")
    assert [r.name for r in children.runs] == ["child"]


def test_a_child_may_name_another_experiment() -> None:
    with sy.start_run(experiment="outer") as parent:
        with sy.start_run(experiment="inner") as child:
            pass
    stored = sy.get_run(child.id)
    assert stored.experiment == "inner"
    assert stored.parent_id == parent.id


def test_explicit_parent_by_id() -> None:
    with sy.start_run(experiment="e") as parent:
        pass
    with sy.start_run(experiment="e", parent=parent.id) as child:
        pass
    assert sy.get_run(child.id).parent_id == parent.id


def test_unknown_parent_is_not_found() -> None:
    with pytest.raises(NotFound):
        sy.start_run(parent="f" * 32)
    assert sy.active_run() is None


def test_siblings_are_not_nested() -> None:
    with sy.start_run(name="a") as a:
        pass
    with sy.start_run(name="b") as b:
        pass
    assert sy.get_run(b.id).parent_id is None
    assert sy.get_run(a.id).parent_id is None


def test_runs_in_other_threads_are_not_children() -> None:
    parents: list[str | None] = []

    def work() -> None:
        with sy.start_run(name="in-thread") as run:
            parents.append(run.parent_id)

    with sy.start_run(name="main"):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert parents == [None]


def test_exception_marks_the_run_failed_and_propagates() -> None:
    with pytest.raises(ZeroDivisionError):
        with sy.start_run() as run:
            run.log_metric("m", 1.0)
            1 / 0
    stored = sy.get_run(run.id)
    assert stored.status == "failed"
    assert stored.end_time is not None
    assert stored.metrics == {"m": 1.0}  # buffered points were still written


def test_exception_in_a_child_fails_both() -> None:
    with pytest.raises(RuntimeError):
        with sy.start_run() as parent:
            with sy.start_run() as child:
                raise RuntimeError("boom")
    assert sy.get_run(child.id).status == "failed"
    assert sy.get_run(parent.id).status == "failed"


def test_keyboard_interrupt_marks_the_run_killed() -> None:
    with pytest.raises(KeyboardInterrupt):
        with sy.start_run() as run:
            raise KeyboardInterrupt
    assert sy.get_run(run.id).status == "killed"


def test_end_without_with_and_twice() -> None:
    run = sy.start_run()
    assert sy.active_run() is run
    run.log_metric("m", 2.0)
    run.end("killed")
    assert sy.active_run() is None
    run.end("finished")  # harmless: the first status stays
    stored = sy.get_run(run.id)
    assert stored.status == "killed"
    assert stored.metrics == {"m": 2.0}


def test_ending_a_parent_first_keeps_the_child_active() -> None:
    parent = sy.start_run(name="p")
    child = sy.start_run(name="c")
    parent.end()
    assert sy.active_run() is child
    child.end()
    assert sy.active_run() is None
    assert sy.get_run(child.id).parent_id == parent.id


def test_info_flushes_and_shows_the_stored_run() -> None:
    with sy.start_run(params={"a": 1}) as run:
        run.log_metric("m", 3.0)
        info = run.info()
        assert info.metrics == {"m": 3.0}
        assert info.status == "running"
        assert info.params == {"a": 1}


def test_repr_names_the_run() -> None:
    with sy.start_run(name="pretty", experiment="exp") as run:
        assert repr(run) == f"<ActiveRun {run.id[:8]} 'pretty' in 'exp' (running)>"


SCRIPT_END = {
    "finished": "pass",
    "failed": "raise RuntimeError('crash')",
    "killed": "raise KeyboardInterrupt",
}


def test_scripts_without_with_get_a_final_status(tmp_path: Path) -> None:
    """A script that never ends its run: finished at exit, failed on a crash, killed on Ctrl-C."""
    procs = {}
    for status, ending in SCRIPT_END.items():
        script = tmp_path / f"{status}.py"
        script.write_text(
            "import shipyard as sy\n"
            f"run = sy.start_run(experiment='scripts', name='{status}')\n"
            "child = sy.start_run(name='child')\n"
            "run.log_metric('m', 1.0)\n"
            "child.log_metric('c', 2.0)\n"
            "print(run.id, child.id, flush=True)\n"
            f"{ending}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
        env["SHIPYARD_HOME"] = str(tmp_path / "home")
        procs[status] = subprocess.Popen(
            [sys.executable, str(script)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    ws = sy.Workspace.open(sy.Settings.load(home=str(tmp_path / "home")))
    try:
        for status, proc in procs.items():
            out, err = proc.communicate(timeout=60)
            assert "could not end run" not in err, err
            run_id, child_id = out.split()
            run = ws.store.runs.get(run_id)
            child = ws.store.runs.get(child_id)
            assert (run.status, child.status) == (status, status), err
            assert run.metrics == {"m": 1.0} and child.metrics == {"c": 2.0}
            assert child.parent_id == run_id
    finally:
        ws.close()
