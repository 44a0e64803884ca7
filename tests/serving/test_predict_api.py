"""``POST /predict`` and friends through a real uvicorn server: forms, validation, metadata, metrics."""

from __future__ import annotations

import httpx

import shipyard as sy
from shipyard.serving.predictions import predict_values


def test_records_columns_and_mlflow_forms_give_the_same_answers(credit, serve, rows) -> None:
    x = credit.x.head(20)
    records = x.to_dict(orient="records")
    expected = predict_values(sy.models.load("model:credit@production"), x)
    forms = [
        {"records": records},
        records,
        {"columns": {c: x[c].tolist() for c in x.columns}},
        {"dataframe_records": records},
        {"dataframe_split": {"columns": list(x.columns), "data": x.to_numpy().tolist()}},
        {"dataframe_split": x.to_dict(orient="split")},
        {"inputs": {c: x[c].tolist() for c in x.columns}},
        {"instances": records},
    ]
    with serve("model:credit@production") as server:
        for body in forms:
            r = server.predict(body)
            assert r.status_code == 200, r.text
            out = r.json()
            assert out["predictions"] == expected, body
            assert out["model"] == {"name": "credit", "version": 1, "alias": "production"}
            assert len(out["request_id"]) == 32
            assert r.headers["x-shipyard-model-version"] == "1"
        # extra columns are dropped and order does not matter, as with Signature.validate
        r = server.predict({"records": [{"age": 40, "zip": "X", "income": 90.0}]})
        assert r.json()["predictions"] == [1]
        # MLflow's endpoint name answers too
        r = httpx.post(f"{server.url}/invocations", json={"dataframe_records": [rows["low"]]})
        assert r.status_code == 200 and r.json()["predictions"] == [0]


def test_probabilities_on_request(credit, serve, rows) -> None:
    with serve("model:credit@production") as server:
        r = httpx.post(
            f"{server.url}/predict?proba=true", json={"records": [rows["high"], rows["low"]]}
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["classes"] == [0, 1]
        assert out["predictions"] == [1, 0]
        high, low = out["probabilities"]
        assert high[1] > 0.5 > low[1] and abs(sum(high) - 1) < 1e-9
        assert "probabilities" not in server.predict({"records": [rows["high"]]}).json()


BAD_INPUTS = [
    ({"records": [{"age": 40}]}, None, "missing column(s) 'income'"),
    ({"records": [{"income": "lots", "age": 40}]}, None, "column 'income' (float): 'lots'"),
    ({"records": [{"income": 50.0, "age": 40.5}]}, None, "column 'age' (integer): 40.5"),
    ({"records": [{"income": None, "age": 40}]}, None, "column 'income' has a null at row 0"),
    ({"records": [{"income": 1.0, "age": True}]}, None, "column 'age' (integer): True"),
    ({"columns": {"income": [1.0, 2.0], "age": [3]}}, None, "different lengths"),
    ({"columns": {"age": [3]}}, None, "missing column(s) 'income'"),
    (
        {"dataframe_split": {"columns": ["income"], "data": [[1.0]]}},
        None,
        "missing column(s) 'age'",
    ),
    ({"records": []}, None, "no rows"),
    ({"something": 1}, None, "none of the expected keys"),
    (None, b"{not json", "not valid JSON"),
    (None, b"", "body is empty"),
    (None, b'"a string"', "cannot read a JSON string"),
    (None, b"[1, 2", "not valid JSON"),
    (None, b"\xff", "not UTF-8"),
]


def test_bad_input_is_422_naming_the_problem(credit, serve) -> None:
    with serve("model:credit@production") as server:
        for body, content, message in BAD_INPUTS:
            if content is None:
                r = server.predict(body)
            else:
                r = httpx.post(f"{server.url}/predict", content=content)
            assert r.status_code == 422, (body, content, r.text)
            error = r.json()["error"]
            assert error["type"] == "InvalidInput"
            assert message in error["message"], (message, error)
            assert r.headers["content-type"] == "application/json"
        m = server.metrics()
        assert m["shipyard_errors_total{type=InvalidInput}"] == len(BAD_INPUTS)
        assert not [k for k in m if k.startswith("shipyard_requests_total") and "status=5" in k]


def test_probabilities_of_a_model_without_them_are_refused(tmp_path, serve) -> None:
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    x = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    sy.models.register(LinearRegression().fit(x, [2.0, 4.0, 6.0]), "lin", sample_input=x)
    with serve("model:lin@latest") as server:
        r = server.predict({"records": [{"a": 4.0}]})
        assert r.status_code == 200 and abs(r.json()["predictions"][0] - 8.0) < 1e-9
        assert r.json()["model"]["alias"] == "latest"
        r = httpx.post(f"{server.url}/predict?proba=1", json={"records": [{"a": 4.0}]})
        assert r.status_code == 422 and "no class probabilities" in r.json()["error"]["message"]


def test_health_metadata_and_unknown_paths(credit, serve) -> None:
    with serve("model:credit@production", name="credit-api", max_batch_size=16) as server:
        health = httpx.get(f"{server.url}/health")
        assert health.status_code == 200 and health.json() == {
            "status": "ok",
            "versions": {"production": 1},
        }
        meta = httpx.get(f"{server.url}/metadata").json()
        version = sy.models.get("model:credit@1")
        assert meta["deployment"] == "credit-api"
        assert (meta["model"], meta["version"], meta["alias"]) == ("credit", 1, "production")
        assert meta["digest"] == version.digest
        assert meta["flavor"] == "sklearn"
        assert [c["name"] for c in meta["signature"]["inputs"]] == ["income", "age"]
        assert meta["split"] == {"production": 100.0} and meta["shadow"] is None
        assert meta["max_batch_size"] == 16
        missing = httpx.get(f"{server.url}/nowhere")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"
        wrong_method = httpx.get(f"{server.url}/predict")
        assert wrong_method.status_code == 405


def test_metrics_parse_as_prometheus_text(credit, serve, rows) -> None:
    with serve("model:credit@production") as server:
        for _ in range(3):
            assert server.predict({"records": [rows["high"], rows["low"]]}).status_code == 200
        assert server.predict({"records": [{"age": 1}]}).status_code == 422
        m = server.metrics()
    ok = "shipyard_requests_total{alias=production,status=200,version=1}"
    assert m[ok] == 3
    assert m["shipyard_requests_total{alias=production,status=422,version=1}"] == 1
    assert m["shipyard_errors_total{type=InvalidInput}"] == 1
    assert m["shipyard_request_latency_seconds_count{alias=production,version=1}"] == 4
    assert m["shipyard_request_latency_seconds_bucket{alias=production,le=+Inf,version=1}"] == 4
    assert m["shipyard_predicted_rows_total{alias=production,version=1}"] == 6
    assert m["shipyard_batch_size_rows_count{version=1}"] == 3
    assert m["shipyard_batch_size_rows_sum{version=1}"] == 6
    assert m["shipyard_model_loaded{}"] == 1
    assert m["shipyard_prediction_log_queue_length{}"] >= 0
    assert not [k for k, v in m.items() if k.startswith("shipyard_prediction_log_dropped") and v]
    info = [k for k in m if k.startswith("shipyard_model_info{")]
    assert len(info) == 1 and "route=production" in info[0] and "version=1" in info[0]


def test_a_local_model_folder_is_served_fixed(credit, serve, tmp_path, rows) -> None:
    from shipyard.assets.models.model_folder import save_model

    folder = tmp_path / "packaged" / "model"
    save_model(credit.v2, folder, sample_input=credit.x.head(5))
    with serve(str(folder)) as server:
        out = server.predict({"records": [rows["high"]]}).json()
        assert out["predictions"] == [0]
        assert out["model"] == {"name": "model", "version": None, "alias": None}
        meta = httpx.get(f"{server.url}/metadata").json()
        assert meta["routes"][0]["label"] == "folder" and len(meta["digest"]) == 64


def test_an_oversized_body_is_refused_before_it_is_read(credit, serve) -> None:
    import http.client

    with serve("model:credit@production") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.putrequest("POST", "/predict")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(200 * 2**20))
        conn.endheaders()
        conn.send(b'{"records": [')  # the rest never comes
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
    assert answer.status == 422
    assert b"more than the 64 MiB" in body
