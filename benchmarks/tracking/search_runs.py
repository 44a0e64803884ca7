"""(c) Search 100,000 runs: a metric filter and a param filter, sorted by the metric, 100 results.

    filter   metrics.auc > 0.9 and params.model = 'gbm'
    order    metrics.auc desc
    limit    100, in the experiment "credit"

Population. Creating 100,000 runs through MLflow's API would take about 40
minutes, so both stores are filled the same way: the store is created through
the tool's own API (schema, migrations, the experiment), then the runs are
inserted straight into the tool's own SQLite tables with ``sqlite3``
``executemany`` in one transaction, exactly the rows each tool writes for
such a run (MLflow: runs, params, tags incl. its ``mlflow.*`` system tags,
metrics, latest_metrics; shipyard: runs, params with typed columns, tags,
metrics, latest_metrics). Both get the same generated data (same seed), so
both must return the same 100 AUC values; the script checks that against the
answer computed in Python and fails otherwise.

Timing. The timed call is the public search API, including the experiment
lookup by name: ``sy.search_runs(..., experiments=["credit"])`` and
``MlflowClient().search_runs(experiment_ids=[get_experiment_by_name(...)])``.
One warm-up query, then the median of ``--repeat`` queries (5 for shipyard,
3 for MLflow by default because each MLflow query takes seconds).

    python benchmarks/tracking/search_runs.py --tool shipyard [--runs 100000] [--repeat 5]
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c

FILTER = "metrics.auc > 0.9 and params.model = 'gbm'"
MAX_RESULTS = 100
EXPERIMENT = "credit"
MODELS = ("gbm", "rf", "lr", "xgb")
TEAMS = ("risk", "growth", "fraud")
BASE_MS = 1_760_000_000_000
DEFAULT_REPEAT = {"shipyard": 5, "mlflow": 3}


@dataclass(frozen=True)
class FakeRun:
    index: int
    rid: str
    start: int
    end: int
    model: str
    lr: float
    depth: int
    team: str
    auc: float
    loss: float
    f1: float


def generate(n: int, seed: int = 42) -> list[FakeRun]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        start = BASE_MS + i * 1_000
        out.append(
            FakeRun(
                index=i,
                # time-ordered like shipyard's ids; a valid 32-hex uuid for MLflow too
                rid=f"{start:012x}{rnd.getrandbits(80):020x}",
                start=start,
                end=start + rnd.randint(1_000, 600_000),
                model=rnd.choice(MODELS),
                lr=round(rnd.uniform(0.001, 0.3), 4),
                depth=rnd.randint(2, 12),
                team=rnd.choice(TEAMS),
                auc=rnd.uniform(0.5, 1.0),
                loss=rnd.uniform(0.05, 1.0),
                f1=rnd.uniform(0.3, 0.95),
            )
        )
    return out


def expected_top(data: list[FakeRun]) -> tuple[int, list[float]]:
    hits = [r.auc for r in data if r.auc > 0.9 and r.model == "gbm"]
    return len(hits), sorted(hits, reverse=True)[:MAX_RESULTS]


def executemany(conn: sqlite3.Connection, sql: str, rows: list[tuple]) -> int:
    conn.executemany(sql, rows)
    return len(rows)


# -- shipyard ---------------------------------------------------------------------------
def populate_shipyard(home: Path, data: list[FakeRun]) -> dict[str, float]:
    c.use_shipyard_home(home)
    from shipyard.store import tables
    from shipyard.store.records import param_to_columns
    from shipyard.store.sql import SqlStore

    t0 = time.perf_counter()
    db_path = home / "shipyard.db"
    store = SqlStore(f"sqlite:///{db_path}")
    exp_id = store.experiments.get_or_create(EXPERIMENT).id
    env = store.environments.put({"python": sys.version.split()[0], "bench": "search_runs"})
    store.close()
    t1 = time.perf_counter()

    def cols(table: object, names: tuple[str, ...]) -> str:
        known = set(table.c.keys())  # type: ignore[attr-defined]
        missing = set(names) - known
        assert not missing, f"shipyard table {table} has no column(s) {missing}"
        return (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # type: ignore[attr-defined]
        )

    run_rows, param_rows, tag_rows, metric_rows, latest_rows = [], [], [], [], []
    for r in data:
        run_rows.append((r.rid, exp_id, None, f"run-{r.index}", "finished", r.start, r.end, env))
        for key, value in (("model", r.model), ("lr", r.lr), ("depth", r.depth)):
            kind, text, num = param_to_columns(value)
            param_rows.append((r.rid, key, kind, text, num))
        tag_rows.append((r.rid, "team", r.team))
        tag_rows.append((r.rid, "user", "bench"))
        for key, value in (("auc", r.auc), ("loss", r.loss), ("f1", r.f1)):
            metric_rows.append((r.rid, key, 0, r.end, value))
            latest_rows.append((r.rid, key, 0, r.end, value))
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    rows = 0
    rows += executemany(
        conn,
        cols(
            tables.runs,
            (
                "id",
                "experiment_id",
                "parent_id",
                "name",
                "status",
                "start_time",
                "end_time",
                "env_digest",
            ),
        ),
        run_rows,
    )
    rows += executemany(
        conn, cols(tables.params, ("run_id", "key", "kind", "value", "num")), param_rows
    )
    rows += executemany(conn, cols(tables.tags, ("run_id", "key", "value")), tag_rows)
    rows += executemany(
        conn, cols(tables.metrics, ("run_id", "key", "step", "timestamp", "value")), metric_rows
    )
    rows += executemany(
        conn,
        cols(tables.latest_metrics, ("run_id", "key", "step", "timestamp", "value")),
        latest_rows,
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    t2 = time.perf_counter()
    return {"create_store_s": t1 - t0, "insert_s": t2 - t1, "rows": rows}


def search_shipyard() -> tuple[int, list[float]]:
    import shipyard as sy

    page = sy.search_runs(
        FILTER, experiments=[EXPERIMENT], order_by=["metrics.auc desc"], max_results=MAX_RESULTS
    )
    return len(page.runs), [r.metrics["auc"] for r in page.runs]


# -- MLflow -----------------------------------------------------------------------------
def populate_mlflow(home: Path, data: list[FakeRun]) -> dict[str, float]:
    import mlflow
    from mlflow import MlflowClient

    c.quiet_mlflow()
    uri = c.mlflow_uri(home)
    mlflow.set_tracking_uri(uri)
    t0 = time.perf_counter()
    client = MlflowClient(uri)
    exp_id = int(client.create_experiment(EXPERIMENT))
    t1 = time.perf_counter()

    run_rows, param_rows, tag_rows, metric_rows, latest_rows = [], [], [], [], []
    for r in data:
        name = f"run-{r.index}"
        run_rows.append(
            (
                r.rid,
                name,
                "LOCAL",
                "train.py",
                "",
                "bench",
                "FINISHED",
                r.start,
                r.end,
                "",
                "active",
                f"{home}/mlruns/{exp_id}/{r.rid}/artifacts",
                exp_id,
                None,
            )
        )
        # MLflow stores params as text
        for key, value in (("model", r.model), ("lr", str(r.lr)), ("depth", str(r.depth))):
            param_rows.append((key, value, r.rid))
        # the tags MLflow's start_run writes, plus the user's one
        for key, value in (
            ("team", r.team),
            ("mlflow.user", "bench"),
            ("mlflow.runName", name),
            ("mlflow.source.name", "train.py"),
            ("mlflow.source.type", "LOCAL"),
        ):
            tag_rows.append((key, value, r.rid))
        for key, value in (("auc", r.auc), ("loss", r.loss), ("f1", r.f1)):
            metric_rows.append((key, value, r.end, r.rid, 0, 0))
            latest_rows.append((key, value, r.end, 0, 0, r.rid))
    conn = sqlite3.connect(home / "mlflow.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    rows = 0
    rows += executemany(
        conn,
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, "
        "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, "
        "experiment_id, deleted_time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        run_rows,
    )
    rows += executemany(
        conn, "INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", param_rows
    )
    rows += executemany(conn, "INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tag_rows)
    rows += executemany(
        conn,
        "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,?)",
        metric_rows,
    )
    rows += executemany(
        conn,
        "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
        "VALUES (?,?,?,?,?,?)",
        latest_rows,
    )
    conn.execute("COMMIT")
    conn.close()
    t2 = time.perf_counter()
    return {"create_store_s": t1 - t0, "insert_s": t2 - t1, "rows": rows}


def search_mlflow() -> tuple[int, list[float]]:
    from mlflow import MlflowClient

    client = MlflowClient()
    exp = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs(
        experiment_ids=[exp.experiment_id],
        filter_string=FILTER,
        order_by=["metrics.auc DESC"],
        max_results=MAX_RESULTS,
    )
    return len(runs), [r.data.metrics["auc"] for r in runs]


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=None, help="timed queries after one warm-up")
    args = p.parse_args()
    repeat = args.repeat or DEFAULT_REPEAT[args.tool]

    data = generate(args.runs)
    matching, want = expected_top(data)
    with c.temp_store("search_runs", args.keep) as home:
        if args.tool == "shipyard":
            pop = populate_shipyard(home, data)
            search = search_shipyard
            db = home / "shipyard.db"
        else:
            pop = populate_mlflow(home, data)
            search = search_mlflow
            db = home / "mlflow.db"
        del data
        db_mb = db.stat().st_size / 1e6
        t = time.perf_counter()
        n, got = search()  # warm-up, also the correctness check
        warmup_ms = (time.perf_counter() - t) * 1e3
        if got != want:
            raise SystemExit(
                f"{args.tool}: wrong answer: {n} runs, first {got[:3]}, expected {want[:3]}"
            )
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            search()
            times.append((time.perf_counter() - t) * 1e3)
    c.emit(
        "search_runs",
        args.tool,
        "median_ms",
        c.median(times),
        "ms",
        runs=args.runs,
        matching_runs=matching,
        returned=n,
        correct=True,
        repeat=repeat,
        warmup_ms=round(warmup_ms, 2),
        each_ms=[round(x, 2) for x in times],
        populate_s=round(pop["create_store_s"] + pop["insert_s"], 2),
        create_store_s=round(pop["create_store_s"], 2),
        insert_s=round(pop["insert_s"], 2),
        rows_inserted=pop["rows"],
        db_mb=round(db_mb, 1),
    )


if __name__ == "__main__":
    main()
