"""Batch inference on the local executor: `predict_file`, `predict_frame` and `shipyard predict`."""

from __future__ import annotations

import json
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
from shipyard.serving.batch import predict_file, predict_frame
from shipyard.serving.predictions import predict_values
from shipyard.workspace import current_workspace

REF = "model:credit@production"


@pytest.fixture(scope="module")
def credit() -> tuple[pd.DataFrame, LogisticRegression]:
    """2,000 rows (two feature columns and one the model ignores) and a fitted classifier."""
    rng = np.random.default_rng(7)
    n = 2_000
    frame = pd.DataFrame(
        {
            "income": rng.normal(50.0, 12.0, n),
            "age": rng.integers(18, 80, n),
            "city": rng.choice(["Rome", "Oslo", "Lima"], n),
        }
    )
    labels = np.where(frame.income + 0.2 * frame.age + rng.normal(0, 6, n) > 58, "good", "bad")
    model = LogisticRegression(max_iter=500).fit(frame[["income", "age"]], labels)
    return frame, model


def _register(credit) -> str:
    frame, model = credit
    version = sy.models.register(model, "credit", sample_input=frame[["income", "age"]].head(5))
    move_alias(version.ref, "production")
    return version.ref


def _parquet(frame: pd.DataFrame, path: Path, row_group_size: int | None = None) -> Path:
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=row_group_size
    )
    return path


def test_predictions_are_the_rest_values_of_the_loaded_model(credit, tmp_path: Path) -> None:
    frame, model = credit
    _register(credit)
    data = _parquet(frame, tmp_path / "data.parquet")

    result = predict_file(REF, data, tmp_path / "preds.parquet")

    out = pd.read_parquet(tmp_path / "preds.parquet")
    assert list(out.columns) == ["income", "age", "city", "prediction"]
    pd.testing.assert_frame_equal(out[["income", "age", "city"]], frame, check_dtype=False)
    loaded = sy.models.load(REF)
    assert out["prediction"].tolist() == predict_values(loaded, frame)
    assert out["prediction"].tolist() == loaded.predict(frame).tolist()
    assert out["prediction"].tolist() == model.predict(frame[["income", "age"]]).tolist()
    assert (result.rows, result.model, result.executor) == (2_000, "model:credit@1", "local")


def test_proba_columns_are_the_class_probabilities(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    predict_file(REF, _parquet(frame, tmp_path / "d.parquet"), tmp_path / "p.parquet", proba=True)

    out = pd.read_parquet(tmp_path / "p.parquet")
    assert list(out.columns)[-3:] == ["prediction", "proba_bad", "proba_good"]
    expected = sy.models.load(REF).predict_proba(frame)
    np.testing.assert_array_equal(out[["proba_bad", "proba_good"]].to_numpy(), expected)


def test_chunking_does_not_change_the_output(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    whole = _parquet(frame, tmp_path / "whole.parquet")
    groups = _parquet(frame, tmp_path / "groups.parquet", row_group_size=300)
    assert pq.ParquetFile(groups).metadata.num_row_groups == 7

    one = predict_file(REF, whole, tmp_path / "one.parquet", proba=True)
    many = predict_file(REF, groups, tmp_path / "many.parquet", proba=True, batch_size=128)

    assert (one.chunks, one.rows) == (1, 2_000)
    assert many.chunks >= 2_000 // 128 and many.rows == 2_000
    assert pq.read_table(tmp_path / "many.parquet").equals(pq.read_table(tmp_path / "one.parquet"))


def test_a_failure_leaves_no_output_and_keeps_an_old_one(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    broken = frame.copy()
    broken.loc[1_500, "income"] = None  # in a late chunk: the earlier ones were written already
    data = _parquet(broken, tmp_path / "data.parquet", row_group_size=500)
    out = tmp_path / "preds.parquet"

    with pytest.raises(InvalidInput, match=r"data\.parquet: .*'income' has a null at row 1500"):
        predict_file(REF, data, out, batch_size=500)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "home"]

    out.write_bytes(b"the previous predictions")
    with pytest.raises(InvalidInput):
        predict_file(REF, data, out, batch_size=500)
    assert out.read_bytes() == b"the previous predictions"


def test_csv_and_jsonl_inputs(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    expected = sy.models.load(REF).predict(frame).tolist()
    for name in ("d.csv", "d.jsonl"):
        predict_file(REF, tmp_path / name, tmp_path / f"{name}.parquet", batch_size=700)
        assert pd.read_parquet(tmp_path / f"{name}.parquet")["prediction"].tolist() == expected


def test_predict_frame_and_a_model_folder(credit, tmp_path: Path) -> None:
    frame, model = credit
    save_model(model, tmp_path / "model", sample_input=frame[["income", "age"]].head(5))

    out = predict_frame(tmp_path / "model", frame.head(10), proba=True)

    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["income", "age", "city", "prediction", "proba_bad", "proba_good"]
    assert out["prediction"].tolist() == model.predict(frame[["income", "age"]].head(10)).tolist()


def test_empty_input_gives_an_empty_output_with_the_columns(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    predict_file(REF, _parquet(frame.head(0), tmp_path / "e.parquet"), tmp_path / "o.parquet")
    out = pq.read_table(tmp_path / "o.parquet")
    assert out.num_rows == 0
    assert out.column_names == ["income", "age", "city", "prediction"]
    assert out.schema.field("prediction").type == pa.string()


def test_inputs_that_cannot_be_predicted_are_refused(credit, tmp_path: Path) -> None:
    frame, _ = credit
    _register(credit)
    taken = _parquet(frame.assign(prediction=1), tmp_path / "taken.parquet")
    with pytest.raises(InvalidInput, match=r"already has column.*'prediction'"):
        predict_file(REF, taken, tmp_path / "o.parquet")
    data = _parquet(frame, tmp_path / "d.parquet")
    with pytest.raises(InvalidInput, match="overwrite the input"):
        predict_file(REF, data, data)
    with pytest.raises(InvalidInput, match=r"name it \.parquet"):
        predict_file(REF, data, tmp_path / "o.csv")
    with pytest.raises(InvalidInput, match="no input file"):
        predict_file(REF, tmp_path / "missing.parquet", tmp_path / "o.parquet")
    with pytest.raises(InvalidInput, match="neither a model reference"):
        predict_file("not a ref!", data, tmp_path / "o.parquet")
    assert not (tmp_path / "o.parquet").exists()


def test_cli_predict_json_summary_run_and_lineage(credit, tmp_path: Path, capsys) -> None:
    frame, _ = credit
    _register(credit)
    data = _parquet(frame, tmp_path / "data.parquet", row_group_size=500)
    code = main(
        [
            "predict",
            REF,
            "--input",
            str(data),
            "--output",
            str(tmp_path / "preds.parquet"),
            "--batch-size",
            "400",
            "--proba",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 2_000 and summary["chunks"] == 5
    assert summary["model"] == "model:credit@1" and summary["rows_per_second"] > 0
    out = pd.read_parquet(tmp_path / "preds.parquet")
    assert out["prediction"].tolist() == sy.models.load(REF).predict(frame).tolist()

    run = sy.get_run(summary["run_id"])
    assert run.tags["shipyard.kind"] == "batch-predict" and run.status == "finished"
    assert run.metrics["rows"] == 2_000 and run.metrics["rows_per_second"] > 0
    assert run.params["model_version"] == "model:credit@1"
    edges = current_workspace().store.lineage.edges(runs=[run.id])
    assert [(e.relation, e.version) for e in edges] == [("consumed", "model:credit@1")]


def test_cli_plain_summary(credit, tmp_path: Path, capsys) -> None:
    frame, _ = credit
    _register(credit)
    data = _parquet(frame, tmp_path / "data.parquet")
    assert main(["predict", REF, "-i", str(data), "-o", str(tmp_path / "p.parquet")]) == 0
    out = capsys.readouterr().out
    assert "wrote 2,000 rows" in out and "model:credit@1" in out


def test_cli_missing_column_is_one_line_exit_2(credit, tmp_path: Path, capsys) -> None:
    frame, _ = credit
    _register(credit)
    data = _parquet(frame.drop(columns=["age"]), tmp_path / "data.parquet")
    code = main(["predict", REF, "--input", str(data), "--output", str(tmp_path / "p.parquet")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "missing column(s) 'age'" in err and "data.parquet" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "p.parquet").exists()
    (failed,) = sy.search_runs(experiments=["batch-predict"]).runs
    assert failed.status == "failed"


def test_cli_unknown_executor(credit, tmp_path: Path, capsys) -> None:
    _register(credit)
    code = main(["predict", REF, "-i", "x.parquet", "-o", "y.parquet", "--executor", "spark"])
    assert code == 2
    assert "unknown executor 'spark'" in capsys.readouterr().err


def test_cli_mistyped_model_is_one_line_exit_2_and_records_no_run(
    credit, tmp_path: Path, capsys
) -> None:
    frame, _ = credit
    _register(credit)
    data = _parquet(frame, tmp_path / "data.parquet")
    for typo in ("model:credti@1", "model:credit@9", "not a ref"):
        assert main(["predict", typo, "-i", str(data), "-o", str(tmp_path / "p.parquet")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "neither a model reference" in err
    assert "batch-predict" not in [e.name for e in sy.list_experiments()]  # no run was recorded
