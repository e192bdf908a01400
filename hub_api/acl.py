"""Broker principals and ACLs: who may read and write which hub topics.

Each agency authenticates as ``User:<agency id>`` (SCRAM-SHA-512) and may write the ingress
topic and read only its own inbox, with consumer groups named ``<agency id>.…``. The hub's
own processes authenticate as ``User:hub-worker``. The broker denies anything not granted
here (``allow.everyone.if.no.acl.found=false``). All functions take a kafka-python admin
client connected as a principal allowed to alter ACLs and SCRAM credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
    UserScramCredentialUpsertion,
)

from schemas.topics import TopicNames

HUB_WORKER = "hub-worker"
"""The principal (``User:hub-worker``) of the hub's workers, API and connector runtime."""
SCRAM_MECHANISM = "SCRAM-SHA-512"
_CLUSTER = "kafka-cluster"
_PRINCIPAL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")

_READ = (ACLOperation.READ, ACLOperation.DESCRIBE)
_WRITE = (ACLOperation.WRITE, ACLOperation.DESCRIBE)
_OWN = (
    ACLOperation.READ,
    ACLOperation.WRITE,
    ACLOperation.CREATE,
    ACLOperation.DESCRIBE,
    ACLOperation.DESCRIBE_CONFIGS,
)


class AclError(Exception):
    """The broker refused to create an ACL or a credential."""


@dataclass(frozen=True)
class Grant:
    """Operations allowed to one principal on one resource (literal name or prefix)."""

    resource: ResourceType
    name: str
    operations: tuple[ACLOperation, ...]
    prefixed: bool = False

    def acls(self, principal: str) -> list[ACL]:
        pattern = ResourcePattern(
            self.resource,
            self.name,
            ACLResourcePatternType.PREFIXED if self.prefixed else ACLResourcePatternType.LITERAL,
        )
        return [
            ACL(f"User:{principal}", "*", operation, ACLPermissionType.ALLOW, pattern)
            for operation in self.operations
        ]


def check_principal(name: str) -> str:
    """A principal name that is also safe inside topic and group names."""
    if not _PRINCIPAL_NAME.fullmatch(name):
        raise AclError(f"principal name {name!r} must match {_PRINCIPAL_NAME.pattern}")
    return name


def agency_grants(agency_id: str, topic_prefix: str = "hub") -> list[Grant]:
    """Write the ingress topic; read the agency's own inbox with its own groups."""
    topics = TopicNames(topic_prefix)
    agency = check_principal(agency_id)
    return [
        Grant(ResourceType.TOPIC, topics.ingress, _WRITE),
        Grant(ResourceType.TOPIC, topics.inbox(agency), _READ),
        Grant(ResourceType.GROUP, f"{agency}.", (ACLOperation.READ,), prefixed=True),
    ]


def worker_grants(
    topic_prefix: str = "hub", app_id: str = "thanhhoa-hub", schemas_topic: str = "_schemas"
) -> list[Grant]:
    """Everything under the topic prefix, Faust's own topics and groups, the schema store."""
    return [
        Grant(ResourceType.TOPIC, f"{topic_prefix}.", _OWN, prefixed=True),
        Grant(ResourceType.TOPIC, f"{app_id}-", _OWN, prefixed=True),
        Grant(ResourceType.TOPIC, schemas_topic, _OWN),
        Grant(ResourceType.GROUP, f"{topic_prefix}.", (ACLOperation.READ,), prefixed=True),
        Grant(ResourceType.GROUP, app_id, (ACLOperation.READ,), prefixed=True),
        Grant(ResourceType.TRANSACTIONAL_ID, f"{topic_prefix}.", _WRITE, prefixed=True),
        Grant(ResourceType.TRANSACTIONAL_ID, schemas_topic, _WRITE, prefixed=True),
        Grant(ResourceType.CLUSTER, _CLUSTER, (ACLOperation.IDEMPOTENT_WRITE,)),
    ]


def create_grants(admin: Any, principal: str, grants: Iterable[Grant]) -> list[ACL]:
    """Create the ACLs (idempotent: existing ones are kept); raise :class:`AclError`."""
    acls = [acl for grant in grants for acl in grant.acls(check_principal(principal))]
    result = admin.create_acls(acls)
    if result["failed"]:
        raise AclError(f"the broker refused ACLs for {principal}: {result['failed']}")
    return acls


def set_password(admin: Any, username: str, password: str) -> None:
    """Create or replace the principal's SCRAM-SHA-512 credential."""
    if not password:
        raise AclError(f"empty password for {username}")
    upsert = UserScramCredentialUpsertion(check_principal(username), SCRAM_MECHANISM, password)
    errors = admin.alter_user_scram_credentials([upsert])
    if errors.get(username):
        raise AclError(f"the broker refused the credential for {username}: {errors[username]}")


def apply_agency_acls(
    admin: Any, agency_id: str, topic_prefix: str = "hub", password: str | None = None
) -> list[ACL]:
    """Grant an agency principal its ACLs (and set its password when given)."""
    if password is not None:
        set_password(admin, agency_id, password)
    return create_grants(admin, agency_id, agency_grants(agency_id, topic_prefix))


def apply_worker_acls(
    admin: Any,
    username: str = HUB_WORKER,
    topic_prefix: str = "hub",
    app_id: str = "thanhhoa-hub",
    schemas_topic: str = "_schemas",
    password: str | None = None,
) -> list[ACL]:
    """Grant the hub-worker principal its ACLs (and set its password when given)."""
    if password is not None:
        set_password(admin, username, password)
    return create_grants(admin, username, worker_grants(topic_prefix, app_id, schemas_topic))


def describe(acl: ACL) -> str:
    """One line per ACL, as ``hub acl apply`` prints them."""
    pattern = acl.resource_pattern
    kind = "prefix" if pattern.pattern_type == ACLResourcePatternType.PREFIXED else "name"
    return (
        f"{acl.principal} {acl.permission_type.name} {acl.operation.name} "
        f"{pattern.resource_type.name} {kind}={pattern.resource_name}"
    )
