"""Access rules: which agency may emit which event types. Deny by default.

A rule is an allow entry (agency pattern, event type pattern). A pattern is either an
exact string, ``*`` (anything), or a prefix ending in ``.*`` that matches any value
starting with that prefix and a dot and at least one more character:
``vn.gov.thanhhoa.dossier.*`` matches ``vn.gov.thanhhoa.dossier.submitted`` but neither
``vn.gov.thanhhoa.dossier`` nor ``vn.gov.thanhhoa.dossiers.x``. No other wildcards exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from security.errors import AccessRuleError

__all__ = ["AccessRule", "is_allowed", "pattern_matches"]


def _check_pattern(pattern: str) -> None:
    if not pattern or pattern != pattern.strip():
        raise AccessRuleError(f"pattern {pattern!r} is empty or has surrounding spaces")
    if pattern == "*":
        return
    body = pattern[:-2] if pattern.endswith(".*") else pattern
    if not body or "*" in body:
        raise AccessRuleError(
            f"pattern {pattern!r}: use an exact name, '*', or a trailing '.*' wildcard"
        )


def pattern_matches(pattern: str, value: str) -> bool:
    """True if ``value`` matches ``pattern`` (exact, ``*``, or trailing ``.*``)."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        prefix = pattern[:-1]  # keep the dot
        return len(value) > len(prefix) and value.startswith(prefix)
    return pattern == value


@dataclass(frozen=True, slots=True)
class AccessRule:
    """Allow ``agency`` (pattern) to emit event types matching ``event_type`` (pattern)."""

    agency: str
    event_type: str

    def __post_init__(self) -> None:
        _check_pattern(self.agency)
        _check_pattern(self.event_type)

    def allows(self, agency_id: str, event_type: str) -> bool:
        """True if this rule covers that agency and event type."""
        return pattern_matches(self.agency, agency_id) and pattern_matches(
            self.event_type, event_type
        )


def is_allowed(rules: Iterable[AccessRule], agency_id: str, event_type: str) -> bool:
    """True only if some rule allows ``agency_id`` to emit ``event_type`` (deny by default)."""
    return any(rule.allows(agency_id, event_type) for rule in rules)
