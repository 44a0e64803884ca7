"""Batch inference on Ray (a real local instance) writes the same file as the local executor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.assets.aliases import move_alias
from shipyard.assets.models.model_folder import save_model
from shipyard.cli.main import main
from shipyard.core.errors import InvalidInput
from shipyard.pipelines import ray_cluster
from shipyard.serving.batch import predict_file
from shipyard.workspace import current_workspace

REF = "model:credit@production"


@pytest.fixture(scope="session")
def batch_ray() -> Iterator[None]:
    """Ray for these tests: started by the first job that needs it, stopped at the end.

    A local Ray instance belongs to the process, so other tests' Ray fixtures
    share it; each job carries its own workspace settings to the workers.
    """
    yield
    ray_cluster.shutdown()


pytestmark = pytest.mark.usefixtures("batch_ray")


@pytest.fixture(scope="module")
def credit() -> tuple[pd.DataFrame, LogisticRegression]:
    rng = np.random.default_rng(11)
    n = 3_000
    frame = pd.DataFrame(
        {
            "income": rng.normal(50.0, 12.0, n),
            "age": rng.integers(18, 80, n),
            "city": rng.choice(["Rome", "Oslo", "Lima"], n),
        }
    )
    labels = np.where(frame.income + 0.2 * frame.age + rng.normal(0, 6, n) > 58, "good", "bad")
    return frame, LogisticRegression(max_iter=500).fit(frame[["income", "age"]], labels)


def _setup(credit, tmp_path: Path) -> Path:
    frame, model = credit
    version = sy.models.register(model, "credit", sample_input=frame[["income", "age"]].head(5))
    move_alias(version.ref, "production")
    data = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), data, row_group_size=1_000)
    return data


def test_ray_output_is_identical_to_local(credit, tmp_path: Path) -> None:
    data = _setup(credit, tmp_path)
    predict_file(REF, data, tmp_path / "local.parquet", proba=True, batch_size=250)
    on_ray = predict_file(
        REF, data, tmp_path / "ray.parquet", proba=True, batch_size=250, executor="ray"
    )
    assert (on_ray.executor, on_ray.rows, on_ray.chunks) == ("ray", 3_000, 12)
    assert pq.read_table(tmp_path / "ray.parquet").equals(pq.read_table(tmp_path / "local.parquet"))
    frame, _ = credit
    out = pd.read_parquet(tmp_path / "ray.parquet")
    assert out["prediction"].tolist() == sy.models.load(REF).predict(frame).tolist()
    edges = current_workspace().store.lineage.edges(runs=[on_ray.run_id])
    assert [(e.relation, e.version) for e in edges] == [("consumed", "model:credit@1")]


def test_ray_worker_errors_are_the_local_ones(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _setup(credit, tmp_path)
    broken = frame.copy()
    broken.loc[2_100, "age"] = None
    data = tmp_path / "broken.parquet"
    pq.write_table(pa.Table.from_pandas(broken, preserve_index=False), data)
    out = tmp_path / "out.parquet"
    with pytest.raises(InvalidInput, match=r"broken\.parquet: .*'age' has a null at row 2100"):
        predict_file(REF, data, out, batch_size=500, executor="ray")
    assert not out.exists()


def test_ray_with_a_model_folder_through_the_cli(credit, tmp_path: Path, capsys) -> None:
    frame, model = credit
    save_model(model, tmp_path / "model", sample_input=frame[["income", "age"]].head(5))
    frame.to_csv(tmp_path / "data.csv", index=False)
    code = main(
        [
            "predict",
            str(tmp_path / "model"),
            "-i",
            str(tmp_path / "data.csv"),
            "-o",
            str(tmp_path / "out.parquet"),
            "--executor",
            "ray",
            "--workers",
            "2",
            "--batch-size",
            "1000",
            "--json",
        ]
    )
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert (summary["executor"], summary["rows"], summary["chunks"]) == ("ray", 3_000, 3)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["prediction"].tolist() == model.predict(frame[["income", "age"]]).tolist()
