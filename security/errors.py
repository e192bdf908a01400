"""Errors of the security package: one root, and typed rejections with stable reason codes.

The verify stream turns a rejection into a quarantine record; ``reason`` is the
machine-readable code stored there, ``detail`` the human-readable explanation.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AccessRuleError",
    "CanonicalFormError",
    "ClockSkewRejected",
    "EventRejected",
    "FieldCryptoError",
    "KeyFileError",
    "KeyManagementError",
    "RejectReason",
    "SecurityError",
    "SignatureRejected",
]


class RejectReason(StrEnum):
    """Closed set of reason codes for a rejected event (stable: stored in quarantine)."""

    MISSING_HEADER = "missing_header"
    DUPLICATE_HEADER = "duplicate_header"
    MALFORMED_HEADER = "malformed_header"
    VALUE_TOO_SHORT = "value_too_short"
    MISSING_SIGNATURE = "missing_signature"
    MALFORMED_SIGNATURE = "malformed_signature"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    UNKNOWN_KEY = "unknown_key"
    KEY_REVOKED = "key_revoked"
    KEY_NOT_VALID_AT_TIME = "key_not_valid_at_time"
    KEY_AGENCY_MISMATCH = "key_agency_mismatch"
    BAD_SIGNATURE = "bad_signature"
    BAD_MERKLE_PROOF = "bad_merkle_proof"
    CLOCK_SKEW = "clock_skew"


class SecurityError(Exception):
    """Root of every error raised by the security package."""


class EventRejected(SecurityError):  # noqa: N818 -- "Rejected" names the outcome, like SignatureRejected
    """An event was refused; ``reason`` is a stable code, ``detail`` says which header/rule."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class CanonicalFormError(EventRejected):
    """The headers or value cannot be put in canonical form (missing/duplicate header...).

    ``header`` names the offending header, or is None when the value is at fault.
    """

    def __init__(self, reason: RejectReason, detail: str, header: str | None = None) -> None:
        super().__init__(reason, detail)
        self.header = header


class SignatureRejected(EventRejected):
    """An event's signature, batch proof or signing key is not acceptable."""


class ClockSkewRejected(EventRejected):
    """An event's ``ce_time`` is too far from the hub's reference clock."""

    def __init__(self, detail: str) -> None:
        super().__init__(RejectReason.CLOCK_SKEW, detail)


class KeyManagementError(SecurityError):
    """A key operation (generate, rotate, revoke, decode) cannot be done as asked."""


class KeyFileError(KeyManagementError):
    """A private key file cannot be written or read (exists, permissions, passphrase)."""


class AccessRuleError(SecurityError):
    """An access rule pattern is not one of the supported forms."""


class FieldCryptoError(SecurityError):
    """An encrypted field is malformed, uses an unknown key, or fails authentication."""
