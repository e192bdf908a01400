"""Writes a connector must not lose (ledger entries, dead letters, replies): while the
broker is away they are tried again, not given up after one timeout.

Giving up was worse than waiting: the connector thread ended, and a ledger entry that
said "delivered" was lost, so the restarted connector took an event the peer had already
acted on for in-doubt. A resend is safe: the producers are idempotent with acks=all and
replies carry deterministic ids.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from connectors.errors import StateStoreError

__all__ = ["until_written"]

log = logging.getLogger(__name__)


def until_written(
    write: Callable[[], None],
    what: str,
    stop: threading.Event | None,
    *,
    first_pause_s: float = 0.5,
    max_pause_s: float = 10.0,
) -> None:
    """Run ``write`` until it no longer raises StateStoreError, or re-raise once ``stop`` is
    set (without ``stop``: one try, as before)."""
    pause = first_pause_s
    while True:
        try:
            write()
            return
        except StateStoreError as exc:
            if stop is None or stop.is_set():
                raise
            log.warning("%s failed (%s); trying again in %.1fs", what, exc, pause)
            if stop.wait(pause):
                raise
            pause = min(pause * 2, max_pause_s)
