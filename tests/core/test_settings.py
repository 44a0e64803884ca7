"""Settings: explicit arguments, then SHIPYARD_* variables, then shipyard.toml, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.core.settings import Settings


def test_defaults_live_under_dot_shipyard(tmp_path: Path) -> None:
    s = Settings.load(env={}, cwd=tmp_path)
    assert s.home == tmp_path / ".shipyard"
    assert s.db == f"sqlite:///{tmp_path / '.shipyard' / 'shipyard.db'}"
    assert s.blobs == str(tmp_path / ".shipyard" / "blobs")
    assert s.uri is None and s.token is None and not s.is_remote


def test_home_from_the_environment(tmp_path: Path) -> None:
    s = Settings.load(env={"SHIPYARD_HOME": "data/sy"}, cwd=tmp_path)
    assert s.home == tmp_path / "data" / "sy"  # relative to the working directory
    assert s.db.endswith(str(tmp_path / "data" / "sy" / "shipyard.db"))


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "shipyard.toml").write_text(
        '[shipyard]\ndb = "sqlite:///from-toml.db"\nblobs = "s3://toml/b"\nhome = "toml-home"\n'
    )
    s = Settings.load(env={"SHIPYARD_BLOBS": "s3://env/b"}, cwd=tmp_path)
    assert s.db == "sqlite:///from-toml.db"
    assert s.blobs == "s3://env/b"
    assert s.home == tmp_path / "toml-home"
    s = Settings.load(
        env={"SHIPYARD_BLOBS": "s3://env/b", "SHIPYARD_DB": "sqlite:///env.db"},
        cwd=tmp_path,
        db="sqlite:///explicit.db",
    )
    assert s.db == "sqlite:///explicit.db"
    # an empty variable does not override
    s = Settings.load(env={"SHIPYARD_DB": ""}, cwd=tmp_path)
    assert s.db == "sqlite:///from-toml.db"


def test_toml_without_a_table(tmp_path: Path) -> None:
    (tmp_path / "shipyard.toml").write_text('home = "h"\n')
    assert Settings.load(env={}, cwd=tmp_path).home == tmp_path / "h"


def test_unknown_toml_keys_are_named(tmp_path: Path) -> None:
    (tmp_path / "shipyard.toml").write_text('[shipyard]\nhoem = "typo"\n')
    with pytest.raises(InvalidInput, match=r"unknown setting\(s\) hoem; known: home, db"):
        Settings.load(env={}, cwd=tmp_path)


def test_broken_toml_is_invalid_input(tmp_path: Path) -> None:
    (tmp_path / "shipyard.toml").write_text("[shipyard\n")
    with pytest.raises(InvalidInput, match="is not valid TOML"):
        Settings.load(env={}, cwd=tmp_path)


def test_server_uri(tmp_path: Path) -> None:
    s = Settings.load(
        env={"SHIPYARD_URI": "https://sy.example.com/", "SHIPYARD_TOKEN": "t"}, cwd=tmp_path
    )
    assert s.uri == "https://sy.example.com" and s.token == "t" and s.is_remote
    with pytest.raises(InvalidInput, match="must start with http"):
        Settings.load(env={"SHIPYARD_URI": "sy.example.com"}, cwd=tmp_path)


def test_unknown_override_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown setting 'colour'"):
        Settings.load(env={}, cwd=tmp_path, colour="red")


def test_settings_are_hashable_and_frozen(tmp_path: Path) -> None:
    a = Settings.load(env={}, cwd=tmp_path)
    b = Settings.load(env={}, cwd=tmp_path)
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.db = "x"  # type: ignore[misc]


def test_reads_process_environment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_HOME", str(tmp_path / "envhome"))
    assert Settings.load().home == tmp_path / "envhome"
