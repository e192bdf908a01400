"""Errors of the connectors: one root, :class:`ConnectorError`.

Adapters wrap zeep, requests (under zeep), httpx and kafka-python errors into these, so the
delivery policy decides on our types only: :class:`TransientDeliveryError` is retried,
:class:`PermanentDeliveryError` goes to dead-letter at once, :class:`PeerUnavailableError`
(nobody answered) waits for the peer without spending the message's retry budget, up to
``retry.unavailable_max_s`` (then :class:`PeerUnavailableTooLongError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CircuitOpenError",
    "ConfigError",
    "ConfigIssue",
    "ConnectorError",
    "DeliveryError",
    "InDoubtError",
    "MalformedResponseError",
    "MappingError",
    "PeerRejectedError",
    "PeerTimeoutError",
    "PeerUnavailableError",
    "PeerUnavailableTooLongError",
    "PermanentDeliveryError",
    "RetriesExhaustedError",
    "StateStoreError",
    "StoppedError",
    "TransientDeliveryError",
]


class ConnectorError(Exception):
    """Root of every connector error."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a connector config file: line (0 = unknown), dotted field, message."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "line ?"
        return f"{where}: {self.field or '-'}: {self.message}"


class ConfigError(ConnectorError):
    """A connector config is invalid; carries EVERY issue found, to report them at once."""

    def __init__(self, issues: Sequence[ConfigIssue], file: str = "") -> None:
        self.issues = sorted(issues, key=lambda i: (i.line, i.field))
        self.file = file
        head = f"{file}: " if file else ""
        lines = "\n".join(f"  {head}{issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} config issue(s):\n{lines}")


class MappingError(ConnectorError):
    """A mapping rule could not be applied to one event; names the field and the rule."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        self.field, self.rule, self.message = field, rule, message
        super().__init__(f"field {field!r} (rule {rule!r}): {message}")


class DeliveryError(ConnectorError):
    """A delivery attempt failed; ``reason`` is a stable machine-readable code."""

    reason: str = "delivery-failed"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class TransientDeliveryError(DeliveryError):
    """Worth retrying: 5xx, transient SOAP fault, read timeout, broken connection."""

    reason = "transient"


class PeerTimeoutError(TransientDeliveryError):
    """The peer did not answer in time; it may still have acted (an ambiguous outcome)."""

    reason = "timeout"


class PeerUnavailableError(TransientDeliveryError):
    """Nobody answered (connection refused, connect timeout): the request never arrived."""

    reason = "peer-unavailable"


class CircuitOpenError(PeerUnavailableError):
    """The connector's circuit breaker is open: no request was sent."""

    reason = "circuit-open"


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: dead-letter at once with the reason."""

    reason = "permanent"


class PeerRejectedError(PermanentDeliveryError):
    """The peer refused the request: HTTP 4xx, SOAP Client/Sender fault, business error."""

    reason = "peer-rejected"


class MalformedResponseError(PermanentDeliveryError):
    """The answer could not be parsed (garbage XML/JSON, bad checksum).

    Permanent on purpose: the peer may have acted, so a blind retry could deliver twice.
    """

    reason = "malformed-response"


class InDoubtError(PermanentDeliveryError):
    """The peer may have acted and cannot deduplicate: a previous run stopped mid-delivery,
    or the peer did not answer in time. Never resent blindly; an operator checks and replays.
    """

    reason = "in-doubt"


class RetriesExhaustedError(PermanentDeliveryError):
    """The retry budget is spent; ``last`` is the last transient error."""

    reason = "retries-exhausted"

    def __init__(self, attempts: int, last: TransientDeliveryError) -> None:
        super().__init__(f"{attempts} attempt(s); last error {last.reason}: {last}")
        self.attempts, self.last = attempts, last


class PeerUnavailableTooLongError(PermanentDeliveryError):
    """Nobody answered for ``retry.unavailable_max_s``: stop waiting, dead-letter the message.

    The request never arrived, so a replay after the outage cannot deliver twice.
    """

    reason = "peer-unavailable"

    def __init__(self, waited_s: float, limit_s: float, last: PeerUnavailableError) -> None:
        super().__init__(
            f"no answer for {waited_s:.1f}s (unavailable_max_s {limit_s:g}); "
            f"last error {last.reason}: {last}"
        )
        self.waited_s, self.last = waited_s, last


class StoppedError(ConnectorError):
    """The connector is shutting down; the current message is left uncommitted."""


class StateStoreError(ConnectorError):
    """The durable connector state (delivered ids, cursors) or Kafka could not be used."""
