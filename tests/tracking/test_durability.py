"""Nothing acknowledged is lost: a SIGKILL mid-logging, and eight processes writing at once.

These start real Python processes against a real SQLite file, so they are
marked slow; each takes a few seconds.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from shipyard.store.sql import SqlStore

pytestmark = pytest.mark.slow

VICTIM = textwrap.dedent(
    """
    import shipyard as sy

    run = sy.start_run(experiment="crash", name="victim")
    print("run", run.id, flush=True)
    n = 0
    while True:
        for _ in range(250):
            run.log_metric("x", float(n), step=n)
            n += 1
        run.flush()
        print("ack", n, flush=True)
    """
)

WORKER = textwrap.dedent(
    """
    import sys
    import shipyard as sy

    worker = int(sys.argv[1])
    with sy.start_run(experiment="concurrent", name=f"w{worker}") as run:
        for batch in range(20):
            for i in range(500):
                step = batch * 500 + i
                run.log_metric("x", float(step), step=step)
            run.flush()
            run.set_tag("batches", str(batch + 1))
    print("done", run.id, flush=True)
    """
)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    env["SHIPYARD_HOME"] = str(home)
    return env


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_loses_no_acknowledged_point(tmp_path: Path) -> None:
    home = tmp_path / "home"
    script = tmp_path / "victim.py"
    script.write_text(VICTIM)
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(home),
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    acked = 0
    run_id = None
    deadline = time.monotonic() + 60
    try:
        for line in proc.stdout:
            kind, _, value = line.strip().partition(" ")
            if kind == "run":
                run_id = value
            elif kind == "ack":
                acked = int(value)
                if acked >= 7_500:
                    break
            assert time.monotonic() < deadline, "the victim logs too slowly"
        os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # acknowledgements printed after we stopped reading count too
    for line in rest.splitlines():
        if line.startswith("ack "):
            acked = max(acked, int(line.split()[1]))
    assert run_id is not None and acked >= 7_500, err

    db = home / "shipyard.db"
    store = SqlStore(f"sqlite:///{db}")
    try:
        history = store.run_data.metric_history(run_id, "x")
        run = store.runs.get(run_id)
    finally:
        store.close()
    steps = [p.step for p in history]
    # every acknowledged point, and batches are whole: a gap-free prefix
    assert len(steps) >= acked
    assert steps == list(range(len(steps)))
    assert all(p.value == float(p.step) for p in history)
    assert run.status == "running"  # nobody lived to end it
    assert run.metrics["x"] == float(len(steps) - 1)
    assert _integrity(db) == "ok"


def test_eight_processes_log_into_one_sqlite_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(home),
            cwd=tmp_path,
        )
        for i in range(8)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, out, err))
    for code, out, err in results:
        assert code == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err, err
        assert out.startswith("done "), (out, err)

    db = home / "shipyard.db"
    store = SqlStore(f"sqlite:///{db}")
    try:
        for _, out, _ in results:
            run_id = out.split()[1]
            run = store.runs.get(run_id)
            assert run.status == "finished"
            assert run.tags["batches"] == "20"
            steps = [p.step for p in store.run_data.metric_history(run_id, "x")]
            assert steps == list(range(10_000))
        with store.db.read() as conn:
            total = conn.exec_driver_sql("SELECT count(*) FROM metrics").scalar_one()
            runs = conn.exec_driver_sql("SELECT count(*) FROM runs").scalar_one()
            experiments = conn.exec_driver_sql("SELECT count(*) FROM experiments").scalar_one()
    finally:
        store.close()
    assert total == 8 * 20 * 500
    assert runs == 8 and experiments == 1  # created once, though all raced to create it
    assert _integrity(db) == "ok"
