"""(d) Import time: ``import shipyard`` vs ``import mlflow`` in a fresh interpreter.

Each sample is a new ``python -c`` process that times the import statement
with ``time.perf_counter`` (interpreter start-up itself is not counted). One
untimed process first warms the OS file cache and the ``.pyc`` files, then
the best of ``--repeat`` samples is reported.

``import shipyard`` is lazy (the public names load on first use), so a second
measurement, ``first_use``, also resolves ``start_run`` and ``search_runs``,
which loads the tracking API and SQLAlchemy: the import cost a script
really pays before it can log anything. For MLflow the same two attributes
are resolved.

    python benchmarks/tracking/import_time.py --tool shipyard [--repeat 5]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c

CODE = """
import json, time
t = time.perf_counter()
import {module}
t1 = time.perf_counter()
{first_use}
t2 = time.perf_counter()
print(json.dumps({{"import": t1 - t, "first_use": t2 - t}}))
"""


def sample(module: str, first_use: bool, cwd: str) -> dict[str, float]:
    use = f"{module}.start_run; {module}.search_runs" if first_use else "pass"
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(module=module, first_use=use)],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    module = args.tool
    with tempfile.TemporaryDirectory() as cwd:  # nothing local shadows the package
        sample(module, True, cwd)  # warm-up
        plain = [sample(module, False, cwd)["import"] for _ in range(args.repeat)]
        used = [sample(module, True, cwd)["first_use"] for _ in range(args.repeat)]
    c.emit(
        "import_time",
        args.tool,
        "best_ms",
        min(plain) * 1e3,
        "ms",
        repeat=args.repeat,
        each_ms=[round(x * 1e3, 1) for x in plain],
        first_use_best_ms=round(min(used) * 1e3, 1),
        first_use_each_ms=[round(x * 1e3, 1) for x in used],
    )


if __name__ == "__main__":
    main()
