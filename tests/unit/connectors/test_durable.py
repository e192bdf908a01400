"""Writes a connector must not lose are tried again while the broker is away."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from connectors._durable import until_written
from connectors.errors import StateStoreError


def _failing(times: int) -> tuple[list[int], Callable[[], None]]:
    calls: list[int] = []

    def write() -> None:
        calls.append(1)
        if len(calls) <= times:
            raise StateStoreError("broker away")

    return calls, write


def test_tried_again_until_written() -> None:
    calls, write = _failing(3)
    until_written(write, "ledger write", threading.Event(), first_pause_s=0.001)
    assert len(calls) == 4


def test_gives_up_once_stopping() -> None:
    stop = threading.Event()
    stop.set()
    calls, write = _failing(100)
    with pytest.raises(StateStoreError, match="broker away"):
        until_written(write, "ledger write", stop, first_pause_s=0.001)
    assert len(calls) == 1


def test_without_stop_one_try() -> None:
    calls, write = _failing(1)
    with pytest.raises(StateStoreError):
        until_written(write, "ledger write", None)
    assert len(calls) == 1
