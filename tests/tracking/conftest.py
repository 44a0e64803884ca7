"""Tracking fixtures: no run may outlive its test (it would become the next test's parent)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import shipyard as sy


@pytest.fixture(autouse=True)
def no_leftover_runs() -> Iterator[None]:
    assert sy.active_run() is None, "a previous test left a run active"
    yield
    leftover = []
    while (run := sy.active_run()) is not None and run not in leftover:
        leftover.append(run)
        run.end()
    assert not leftover, f"the test left runs active: {leftover}"
