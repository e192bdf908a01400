"""Registry errors: one root, `RegistryError`, and a subclass for each kind of failure."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CalendarError",
    "CatalogError",
    "CatalogIssue",
    "IllegalTransitionError",
    "MalformedIdentifierError",
    "RegistryError",
    "UnresolvedAgencyError",
]


class RegistryError(Exception):
    """Root of every registry error (catalog, working calendar, dossier (hồ sơ) lifecycle)."""


class MalformedIdentifierError(RegistryError, ValueError):
    """A malformed identifier: agency code (mã đơn vị), procedure code or dossier code."""


class CalendarError(RegistryError, ValueError):
    """An unusable working calendar: a datetime without a time zone, a bad override file."""


class UnresolvedAgencyError(RegistryError):
    """No agency could be resolved as the one responsible for a procedure."""


@dataclass(frozen=True)
class CatalogIssue:
    """One catalog issue: the file, entry and field at fault, with a message."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.field}: {self.message}"


class CatalogError(RegistryError):
    """An invalid catalog; carries EVERY issue found, so all are reported at once."""

    def __init__(self, issues: list[CatalogIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} catalog issue(s):\n{lines}")


class IllegalTransitionError(RegistryError):
    """An event that cannot be applied to the dossier; `reason` is a stable code for quarantine.

    Reasons: unknown-dossier, already-submitted, wrong-dossier, terminal-status,
    out-of-order, not-allowed, steps-pending, unknown-step, bad-event.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        dossier_code: str | None = None,
        from_status: int | None = None,
        to_status: int | None = None,
    ) -> None:
        self.reason = reason
        self.dossier_code = dossier_code
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"{reason}: {message}")
