"""Digests, ids and the JSON form of metric values."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re

import pytest

from shipyard.core.digests import CHUNK, check_digest, digest_bytes, digest_stream
from shipyard.core.errors import InvalidInput
from shipyard.core.ids import new_run_id, new_run_name
from shipyard.core.numbers import float_from_json, float_to_json


def test_digests_are_sha256() -> None:
    data = b"x" * (CHUNK * 2 + 17)
    assert digest_bytes(data) == hashlib.sha256(data).hexdigest()
    assert digest_stream(io.BytesIO(data)) == (hashlib.sha256(data).hexdigest(), len(data))
    assert digest_stream(io.BytesIO(b"")) == (hashlib.sha256(b"").hexdigest(), 0)


@pytest.mark.parametrize(
    "bad", ["", "a" * 63, "a" * 65, "A" * 64, "g" * 64, "../../etc/passwd", "a" * 63 + "\n"]
)
def test_check_digest_refuses_anything_but_64_lowercase_hex(bad: str) -> None:
    with pytest.raises(InvalidInput, match="not a SHA-256 digest"):
        check_digest(bad)


def test_check_digest_accepts_and_returns() -> None:
    d = "0123456789abcdef" * 4
    assert check_digest(d) is d


def test_run_ids_are_unique_hex() -> None:
    ids = {new_run_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    # random, so 8-digit prefixes are unique in practice
    assert len({i[:8] for i in ids}) == 1000


def test_run_names_are_readable() -> None:
    for _ in range(50):
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d\d", new_run_name())


@pytest.mark.parametrize("value", [0.0, -1.5, 1e300, 5e-324, math.inf, -math.inf])
def test_metric_values_survive_strict_json(value: float) -> None:
    wire = json.dumps(float_to_json(value), allow_nan=False)
    assert float_from_json(json.loads(wire)) == value


def test_nan_survives_strict_json() -> None:
    wire = json.dumps(float_to_json(math.nan), allow_nan=False)
    assert wire == '"NaN"'
    assert math.isnan(float_from_json(json.loads(wire)))
    assert math.isnan(float_from_json(None))
    assert float_from_json("2.5") == 2.5
    assert float_from_json(3) == 3.0
