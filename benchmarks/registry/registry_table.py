"""Register a 1,000,000-row table, load it back as pandas and Arrow, register it again.

The table is a pandas DataFrame of 8 columns made with numpy from a fixed seed
(int64 id and user id, int32 quantity, float64 price and score, float32
weight, a categorical string of 20 values, a timestamp). Throughputs are in
MB/s of its in-memory size (``DataFrame.memory_usage(deep=True)``, 1 MB =
10^6 bytes), so both tools are divided by the same number.

shipyard, in one process with ``SHIPYARD_HOME`` a fresh folder (store opened
and datasets imported before the clock, reported as ``first_use_s``):

- register: ``sy.datasets.register(df, name)`` (Arrow conversion, column
  statistics, deterministic Parquet, blob write, version row);
- register again, identical frame: must return the same version (dedupe);
- load: ``sy.datasets.load(ref, as_="pandas" | "arrow")``, median of ``--repeat``;
- extra: ``register(path)`` of the Parquet file the DVC side writes.

DVC, through its command line from its own venv (``.venv-dvc/bin/dvc`` or
``$DVC_PYTHON -m dvc``), in a fresh ``git init`` + ``dvc init`` repository
whose default remote is a local folder; every command is a new process, as
a user types it:

- register: ``df.to_parquet("data.parquet")`` + ``dvc add data.parquet`` +
  ``dvc push`` (the file has to be written first: DVC versions files, not frames);
- register again: the same three steps with the same frame;
- load: delete the workspace file and the cache, ``dvc pull``, then
  ``pd.read_parquet`` / ``pq.read_table``; median of ``--repeat``.

    python benchmarks/registry/registry_table.py --tool dvc [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c

SEED = 20261123
MB = 1e6
NAME = "bench-table"


def make_frame(rows: int, seed: int = SEED) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    categories = [f"segment_{i:02d}" for i in range(20)]
    start = np.datetime64("2025-01-01T00:00:00", "us")
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "user_id": rng.integers(0, 100_000, rows, dtype=np.int64),
            "quantity": rng.integers(1, 100, rows, dtype=np.int32),
            "price": rng.gamma(2.0, 10.0, rows),
            "score": rng.random(rows),
            "weight": rng.normal(0.0, 1.0, rows).astype(np.float32),
            "segment": pd.Categorical.from_codes(rng.integers(0, 20, rows), categories=categories),
            "ts": start + rng.integers(0, 365 * 86_400 * 10**6, rows).astype("timedelta64[us]"),
        }
    )


def check_frame(got: Any, want: Any, who: str) -> None:
    """The loaded frame has the same rows and values (outside the clock)."""
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), want, check_dtype=False, check_categorical=False
        )
    except AssertionError as exc:
        raise SystemExit(
            f"{who}: the loaded table differs from the registered one: {exc}"
        ) from None


def bench_shipyard(home: Path, df: Any, repeat: int) -> dict[str, Any]:
    c.use_shipyard_home(home / "shipyard")
    t0 = time.perf_counter()
    import shipyard as sy
    from shipyard.workspace import current_workspace

    ws = current_workspace()
    warm = sy.datasets.register(df.head(10), "warmup")  # schema, imports, pyarrow
    sy.datasets.load(warm.ref, "pandas")
    first_use_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    v1 = sy.datasets.register(df, NAME)
    register_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    v2 = sy.datasets.register(df, NAME)
    dedupe_s = time.perf_counter() - t0
    if (v2.version, v2.digest) != (v1.version, v1.digest):
        raise SystemExit(f"shipyard: the identical table became {v2.ref}, not {v1.ref}")

    pandas_s, arrow_s = [], []
    for i in range(repeat):
        t0 = time.perf_counter()
        frame = sy.datasets.load(v1.ref, as_="pandas")
        pandas_s.append(time.perf_counter() - t0)
        if i == 0:
            check_frame(frame, df, "shipyard")
        del frame
        t0 = time.perf_counter()
        table = sy.datasets.load(v1.ref, as_="arrow")
        arrow_s.append(time.perf_counter() - t0)
        if table.num_rows != len(df):
            raise SystemExit(f"shipyard: loaded {table.num_rows} rows, want {len(df)}")
        del table

    # extra: register the Parquet file a DVC user would have written
    path = home / "data.parquet"
    df.to_parquet(path)
    t0 = time.perf_counter()
    v3 = sy.datasets.register(path, NAME + "-file")
    register_file_s = time.perf_counter() - t0

    (stored,) = ws.store.assets.files(v1.ref)
    return {
        "first_use_s": first_use_s,
        "register_s": register_s,
        "dedupe_s": dedupe_s,
        "load_pandas_each_s": pandas_s,
        "load_arrow_each_s": arrow_s,
        "parquet_bytes": stored.size,
        "dataset_version": v1.ref,
        "register_file_s": register_file_s,
        "file_version_same_digest": v3.digest == v1.digest,
    }


def bench_dvc(home: Path, df: Any, repeat: int) -> dict[str, Any]:
    import pandas as pd
    import pyarrow.parquet as pq

    repo, _remote, env = c.dvc_repo(home)
    target = repo / "data.parquet"

    def add_and_push() -> dict[str, float]:
        t0 = time.perf_counter()
        df.to_parquet(target)
        write_s = time.perf_counter() - t0
        add_s = c.run_dvc(repo, "add", "-q", "data.parquet", env=env)
        push_s = c.run_dvc(repo, "push", "-q", env=env)
        return {"write_parquet_s": write_s, "add_s": add_s, "push_s": push_s}

    first = add_and_push()
    md5 = (repo / "data.parquet.dvc").read_text()
    again = add_and_push()
    same_hash = (repo / "data.parquet.dvc").read_text() == md5

    pull_s, read_pandas_s, read_arrow_s = [], [], []
    for i in range(repeat):
        target.unlink()
        shutil.rmtree(repo / ".dvc" / "cache")
        pull_s.append(c.run_dvc(repo, "pull", "-q", env=env))
        t0 = time.perf_counter()
        frame = pd.read_parquet(target)
        read_pandas_s.append(time.perf_counter() - t0)
        if i == 0:
            check_frame(frame, df, "dvc")
        del frame
        t0 = time.perf_counter()
        table = pq.read_table(target)
        read_arrow_s.append(time.perf_counter() - t0)
        del table

    return {
        "register_s": sum(first.values()),
        "register_parts_s": first,
        "dedupe_s": sum(again.values()),
        "dedupe_parts_s": again,
        "dedupe_same_hash": same_hash,
        "pull_each_s": pull_s,
        "load_pandas_each_s": [p + r for p, r in zip(pull_s, read_pandas_s, strict=True)],
        "load_arrow_each_s": [p + r for p, r in zip(pull_s, read_arrow_s, strict=True)],
        "read_pandas_each_s": read_pandas_s,
        "read_arrow_each_s": read_arrow_s,
        "parquet_bytes": target.stat().st_size,
        **c.dvc_overhead(repo, env),
    }


def main() -> None:
    p = c.parser(__doc__.splitlines()[0], tools=("shipyard", "dvc"))
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3, help="loads (DVC: pulls) to take the median of")
    args = p.parse_args()
    df = make_frame(args.rows)
    table_mb = df.memory_usage(deep=True).sum() / MB
    with c.temp_store("registry_table", args.keep) as home:
        fn = bench_shipyard if args.tool == "shipyard" else bench_dvc
        r = fn(home, df, args.repeat)
    load_pandas_s = c.median(r["load_pandas_each_s"])
    load_arrow_s = c.median(r["load_arrow_each_s"])
    c.emit(
        "registry_table",
        args.tool,
        "register_mb_per_s",
        table_mb / r["register_s"],
        "MB/s",
        rows=args.rows,
        columns=len(df.columns),
        table_mb=round(table_mb, 3),
        parquet_mb=round(r.pop("parquet_bytes") / MB, 3),
        register_s=r.pop("register_s"),
        dedupe_s=r.pop("dedupe_s"),
        load_pandas_s=load_pandas_s,
        load_pandas_mb_per_s=table_mb / load_pandas_s,
        load_arrow_s=load_arrow_s,
        load_arrow_mb_per_s=table_mb / load_arrow_s,
        repeat=args.repeat,
        **r,
    )


if __name__ == "__main__":
    main()
