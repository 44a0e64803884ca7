"""The error hierarchy: statuses, JSON bodies, and rebuilding a server's error on the client."""

from __future__ import annotations

import pytest

from shipyard.core import errors
from shipyard.core.errors import (
    Conflict,
    Failure,
    Forbidden,
    InvalidInput,
    NotFound,
    RemoteError,
    ShipyardError,
    StoreError,
    Unauthorized,
    UserError,
    error_from_dict,
)

ALL = [
    ShipyardError,
    UserError,
    InvalidInput,
    NotFound,
    Conflict,
    Unauthorized,
    Forbidden,
    Failure,
    StoreError,
    RemoteError,
]


def test_user_mistakes_and_failures_are_apart() -> None:
    for cls in (InvalidInput, NotFound, Conflict, Unauthorized, Forbidden):
        assert issubclass(cls, UserError) and not issubclass(cls, Failure)
        assert 400 <= cls.status < 500
    for cls in (StoreError, RemoteError):
        assert issubclass(cls, Failure) and not issubclass(cls, UserError)
        assert cls.status >= 500


def test_statuses() -> None:
    assert {cls.__name__: cls.status for cls in ALL} == {
        "ShipyardError": 500,
        "UserError": 400,
        "InvalidInput": 400,
        "NotFound": 404,
        "Conflict": 409,
        "Unauthorized": 401,
        "Forbidden": 403,
        "Failure": 500,
        "StoreError": 503,
        "RemoteError": 502,
    }


def test_docstring_tree_names_every_class() -> None:
    doc = errors.__doc__ or ""
    for cls in ALL:
        assert cls.__name__ in doc


@pytest.mark.parametrize("cls", ALL)
def test_round_trip_through_json(cls: type[ShipyardError]) -> None:
    err = cls("what went wrong; how to fix it")
    assert err.to_dict() == {"error": {"type": cls.__name__, "message": err.message}}
    back = error_from_dict(err.to_dict(), cls.status)
    assert type(back) is cls
    assert back.message == err.message
    assert str(back) == err.message


@pytest.mark.parametrize(
    ("body", "status", "cls", "message"),
    [
        (None, 404, NotFound, "server answered HTTP 404"),
        ({"detail": "x"}, 422, InvalidInput, "server answered HTTP 422"),
        ({"error": {"type": "Unknown", "message": "m"}}, 409, Conflict, "m"),
        ({"error": {"type": "Unknown"}}, 418, UserError, "server answered HTTP 418"),
        ("not a dict", 500, RemoteError, "server answered HTTP 500"),
        ({"error": "flat"}, 503, RemoteError, "server answered HTTP 503"),
    ],
)
def test_unrecognised_bodies_fall_back_to_the_status(
    body: object, status: int, cls: type[ShipyardError], message: str
) -> None:
    err = error_from_dict(body, status)
    assert type(err) is cls
    assert err.message == message
