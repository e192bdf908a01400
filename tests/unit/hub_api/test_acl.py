"""Principals and their ACLs: what each agency and the hub worker may do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kafka.admin import ACL, ACLOperation, ACLResourcePatternType, ResourceType

from hub_api.acl import (
    AclError,
    agency_grants,
    apply_agency_acls,
    apply_worker_acls,
    check_principal,
    describe,
    worker_grants,
)
from hub_api.acl_cli import Principal, read_principals

AGENCY = "000.00.06.H56"


def _table(grants: list[Any]) -> set[tuple[str, str, str, str]]:
    return {
        (
            acl.resource_pattern.resource_type.name,
            acl.resource_pattern.resource_name,
            acl.resource_pattern.pattern_type.name,
            acl.operation.name,
        )
        for grant in grants
        for acl in grant.acls("x")
    }


def test_agency_writes_ingress_reads_only_its_inbox_and_groups() -> None:
    assert _table(agency_grants(AGENCY, "t1")) == {
        ("TOPIC", "t1.ingress", "LITERAL", "WRITE"),
        ("TOPIC", "t1.ingress", "LITERAL", "DESCRIBE"),
        ("TOPIC", f"t1.agency.{AGENCY}.inbox", "LITERAL", "READ"),
        ("TOPIC", f"t1.agency.{AGENCY}.inbox", "LITERAL", "DESCRIBE"),
        ("GROUP", f"{AGENCY}.", "PREFIXED", "READ"),
    }


def test_worker_owns_the_prefix_faust_topics_and_schema_store() -> None:
    table = _table(worker_grants("hub", "thanhhoa-hub"))
    for name in ("hub.", "thanhhoa-hub-"):
        for op in ("READ", "WRITE", "CREATE", "DESCRIBE"):
            assert ("TOPIC", name, "PREFIXED", op) in table
    assert ("TOPIC", "_schemas", "LITERAL", "WRITE") in table
    assert ("GROUP", "thanhhoa-hub", "PREFIXED", "READ") in table
    assert ("TRANSACTIONAL_ID", "_schemas", "PREFIXED", "WRITE") in table
    assert ("CLUSTER", "kafka-cluster", "LITERAL", "IDEMPOTENT_WRITE") in table
    assert not any(op in {"ALL", "DELETE", "ALTER"} for *_, op in table)


@pytest.mark.parametrize("bad", ["", "a b", "User:x", "x,y", "../etc"])
def test_principal_names_must_be_topic_safe(bad: str) -> None:
    with pytest.raises(AclError):
        check_principal(bad)


class FakeAdmin:
    """Records calls like kafka-python's admin client; fails ACLs when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.acls: list[ACL] = []
        self.credentials: list[Any] = []

    def create_acls(self, acls: list[ACL]) -> dict[str, list[Any]]:
        self.acls.extend(acls)
        return {"succeeded": [] if self.fail else acls, "failed": ["refused"] if self.fail else []}

    def alter_user_scram_credentials(self, alterations: list[Any]) -> dict[str, str | None]:
        self.credentials.extend(alterations)
        return {alteration.user: None for alteration in alterations}


def test_apply_sets_password_then_acls_with_the_user_principal() -> None:
    admin = FakeAdmin()
    acls = apply_agency_acls(admin, AGENCY, "hub", password="pw")
    assert [c.user for c in admin.credentials] == [AGENCY]
    assert admin.credentials[0].mechanism.name == "SCRAM_SHA_512"
    assert {acl.principal for acl in acls} == {f"User:{AGENCY}"}
    assert "User:000.00.06.H56 ALLOW WRITE TOPIC name=hub.ingress" in [describe(a) for a in acls]
    worker = apply_worker_acls(admin)
    assert {acl.principal for acl in worker} == {"User:hub-worker"}
    group = [a for a in worker if a.resource_pattern.resource_type == ResourceType.GROUP]
    assert all(a.resource_pattern.pattern_type == ACLResourcePatternType.PREFIXED for a in group)
    assert all(a.operation == ACLOperation.READ for a in group)


def test_refused_acls_raise() -> None:
    with pytest.raises(AclError, match="refused"):
        apply_agency_acls(FakeAdmin(fail=True), AGENCY)


def test_principal_list_file(tmp_path: Path) -> None:
    listing = tmp_path / "principals.txt"
    listing.write_text(
        "# agencies\n000.00.06.H56 pw1\n\nhub-worker  pw2  # workers\n000.00.07.H56\n"
    )
    assert read_principals(listing) == [
        Principal("000.00.06.H56", "pw1"),
        Principal("hub-worker", "pw2"),
        Principal("000.00.07.H56", None),
    ]
    listing.write_text("a b c\n")
    with pytest.raises(AclError, match=r"principals\.txt:1"):
        read_principals(listing)
