"""Request log and behaviour modes shared by every peer (pure state, no I/O)."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    """How a peer answers its next requests. ``down`` is done by stopping the server."""

    OK = "ok"
    FAIL = "fail"  # transient: HTTP 503, SOAP Server/Receiver fault marked transient
    FAIL_PERMANENT = "fail_permanent"  # HTTP 400/422, SOAP Client/Sender fault
    SLOW = "slow"  # wait ``delay`` seconds, then answer (and act) as in ``ok``
    GARBAGE = "garbage"  # HTTP 200 with a malformed XML or JSON body; nothing is done


class Outcome(StrEnum):
    """What the peer did with one request."""

    PENDING = "pending"
    ACCEPTED = "accepted"  # a state change took effect (a delivery)
    ANSWERED = "answered"  # a read-only query was answered
    DUPLICATE = "duplicate"  # same idempotency key seen and ``dedupe=True``: no new effect
    REJECTED = "rejected"  # refused: authentication, validation, checksum, unknown item
    FAILED = "failed"  # refused because of the ``fail``/``fail_permanent`` mode
    GARBAGE = "garbage"  # answered with garbage because of the ``garbage`` mode


@dataclass(frozen=True)
class LogEntry:
    """One request as the peer received it, and what it did with it."""

    seq: int
    peer: str
    operation: str
    idempotency_key: str | None
    dossier_code: str | None
    body: Any
    received_at: str
    mode: str
    outcome: str = Outcome.PENDING.value
    status_code: int = 0
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogEntry:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class RequestLog:
    """Every request received, in arrival order. Thread-safe: the server writes, a test reads."""

    def __init__(self, peer: str) -> None:
        self._peer = peer
        self._lock = threading.Lock()
        self._entries: list[LogEntry] = []

    def record(
        self,
        *,
        operation: str,
        idempotency_key: str | None,
        dossier_code: str | None,
        body: Any,
        mode: Mode,
    ) -> int:
        """Append a pending entry and return its index."""
        with self._lock:
            entry = LogEntry(
                seq=len(self._entries) + 1,
                peer=self._peer,
                operation=operation,
                idempotency_key=idempotency_key,
                dossier_code=dossier_code,
                body=body,
                received_at=datetime.now(UTC).isoformat(),
                mode=mode.value,
            )
            self._entries.append(entry)
            return len(self._entries) - 1

    def finish(self, index: int, outcome: Outcome, status_code: int, detail: str = "") -> None:
        with self._lock:
            if index < len(self._entries):
                self._entries[index] = dataclasses.replace(
                    self._entries[index],
                    outcome=outcome.value,
                    status_code=status_code,
                    detail=detail,
                )

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class ModeSetting:
    """The current mode; ``times`` = requests left before falling back to ``ok``."""

    mode: Mode = Mode.OK
    delay: float = 0.5
    times: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "delay": self.delay, "times": self.times}


class ModeSwitch:
    """Holds the mode; each served request takes one turn of it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._setting = ModeSetting()

    @property
    def setting(self) -> ModeSetting:
        with self._lock:
            return self._setting

    def set(self, mode: Mode | str, *, delay: float = 0.5, times: int | None = None) -> None:
        if delay < 0 or (times is not None and times < 1):
            raise ValueError("delay must be >= 0 and times >= 1")
        with self._lock:
            self._setting = ModeSetting(Mode(mode), delay, times)

    def take(self) -> ModeSetting:
        """Return the mode for this request and count it against ``times``."""
        with self._lock:
            current = self._setting
            if current.times is not None:
                left = current.times - 1
                self._setting = (
                    ModeSetting() if left == 0 else dataclasses.replace(current, times=left)
                )
            return current
