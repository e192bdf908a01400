"""Access rules: deny by default, exact, '*' and trailing '.*' patterns only."""

from __future__ import annotations

import pytest

from security import AccessRule, AccessRuleError, is_allowed, pattern_matches

DOSSIER = "vn.gov.thanhhoa.dossier"
RULES = [
    AccessRule("000.00.15.H56", f"{DOSSIER}.*"),
    AccessRule("000.00.20.H56", f"{DOSSIER}.submitted"),
    AccessRule("hub", "*"),
    AccessRule("000.00.30.*", "vn.gov.thanhhoa.payment.*"),
]


@pytest.mark.parametrize(
    ("agency", "event_type", "allowed"),
    [
        ("000.00.15.H56", f"{DOSSIER}.submitted", True),
        ("000.00.15.H56", f"{DOSSIER}.status.changed", True),
        ("000.00.15.H56", DOSSIER, False),  # the prefix itself is not covered
        ("000.00.15.H56", f"{DOSSIER}s.submitted", False),
        ("000.00.15.H56", "vn.gov.thanhhoa.payment.paid", False),
        ("000.00.20.H56", f"{DOSSIER}.submitted", True),
        ("000.00.20.H56", f"{DOSSIER}.submitted.x", False),
        ("000.00.20.H56", f"{DOSSIER}.approved", False),
        ("hub", "anything.at.all", True),
        ("000.00.30.H56", "vn.gov.thanhhoa.payment.paid", True),
        ("000.00.30", "vn.gov.thanhhoa.payment.paid", False),
        ("000.00.99.H56", f"{DOSSIER}.submitted", False),  # unknown agency: denied
        ("000.00.15.h56", f"{DOSSIER}.submitted", False),  # case-sensitive
        ("", "", False),
    ],
)
def test_is_allowed(agency: str, event_type: str, allowed: bool) -> None:
    assert is_allowed(RULES, agency, event_type) is allowed


def test_deny_by_default() -> None:
    assert not is_allowed([], "hub", f"{DOSSIER}.submitted")


@pytest.mark.parametrize("pattern", ["", " a", "a.*.b", "*.submitted", "a*", ".*", "a.**", "a.b*"])
def test_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(AccessRuleError, match="pattern"):
        AccessRule(pattern, "x")
    with pytest.raises(AccessRuleError):
        AccessRule("x", pattern)


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [("*", "", True), ("a.*", "a.", False), ("a.*", "a.b", True), ("a", "a", True)],
)
def test_pattern_matches(pattern: str, value: str, matches: bool) -> None:
    assert pattern_matches(pattern, value) is matches
