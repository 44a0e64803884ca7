"""Start, watch and stop the model servers the REST benchmark drives (standard library only).

Each server runs in a new session (its own process group), so stopping it
stops the processes it started (``mlflow models serve`` execs uvicorn in a
child) and nothing else. With pinning on, a server and every process it
starts inherit one CPU set.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpus: set[int] | None) -> Any:
    """A ``preexec_fn`` that restricts the child (and what it starts) to ``cpus``."""
    if not cpus:
        return None

    def apply() -> None:
        os.sched_setaffinity(0, cpus)

    return apply


class Server:
    """One server process group: ``start`` waits for its health URL, ``stop`` ends the group."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        health: str,
        log: Path,
        cpus: set[int] | None,
    ) -> None:
        self.name, self.cmd, self.env, self.cwd = name, list(cmd), env, cwd
        self.health, self.log, self.cpus = health, log, cpus
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_s: float | None = None

    def start(self, timeout: float = 180.0) -> None:
        print(f"$ {' '.join(self.cmd)}", file=sys.stderr)
        t0 = time.perf_counter()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                self.cmd,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=pin(self.cpus),
            )
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"{self.name} server exited with {self.proc.returncode}:\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(self.health, timeout=2) as r:
                    if r.status == 200:
                        self.start_s = time.perf_counter() - t0
                        print(f"{self.name} up in {self.start_s:.1f} s", file=sys.stderr)
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        self.stop()
        raise SystemExit(f"{self.name} server not healthy after {timeout:.0f} s:\n{self.tail()}")

    def pids(self) -> list[int]:
        """Every live process in the server's group (the server and its children)."""
        if self.proc is None:
            return []
        pgid = self.proc.pid
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # field 5 of stat: the process group
                found.append(int(entry))
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the group's live processes."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLK_TCK

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def threads(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                total += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
        return total

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass


def post_json(url: str, body: Any, timeout: float = 30.0) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def get_json(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        raw = r.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
