"""``hub acl apply``: create SCRAM users and ACLs for agency and hub-worker principals.

Connects with this process's Kafka settings (``HUB_KAFKA_*``; on the local dev broker the
PLAINTEXT listener, whose anonymous principal is a super user), so the connection must be
allowed to alter ACLs and SCRAM credentials.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from hub_api.acl import (
    HUB_WORKER,
    AclError,
    apply_agency_acls,
    apply_worker_acls,
    check_principal,
    describe,
)
from hub_settings import HubSettings, load_settings


@dataclass(frozen=True)
class Principal:
    """A principal to set up: an agency id or ``hub-worker``, and an optional password."""

    name: str
    password: str | None = None


def read_principals(path: Path) -> list[Principal]:
    """Lines ``<agency id or hub-worker> [password]``; blank lines and ``#`` comments skipped."""
    principals = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) > 2:
            raise AclError(f"{path}:{number}: expected '<principal> [password]'")
        principals.append(Principal(check_principal(fields[0]), *fields[1:]))
    return principals


def apply_principals(
    settings: HubSettings, principals: list[Principal], topic_prefix: str | None = None
) -> list[str]:
    """Apply every principal's credential and ACLs; returns the ACLs as printable lines."""
    from kafka import KafkaAdminClient

    prefix = topic_prefix or settings.topic_prefix
    admin = KafkaAdminClient(**settings.kafka_client_config())
    lines: list[str] = []
    try:
        for principal in principals:
            if principal.name == HUB_WORKER:
                acls = apply_worker_acls(
                    admin,
                    topic_prefix=prefix,
                    app_id=settings.streams.app_id,
                    schemas_topic=settings.schemas_topic,
                    password=principal.password,
                )
            else:
                acls = apply_agency_acls(admin, principal.name, prefix, principal.password)
            lines.extend(describe(acl) for acl in acls)
    finally:
        admin.close()
    return lines


def _principals(args: argparse.Namespace) -> list[Principal]:
    password: str | None = args.password
    if args.password_file is not None:
        password = Path(args.password_file).read_text().splitlines()[0].strip()
    names = [*args.agency, *([HUB_WORKER] if args.worker else [])]
    principals = [Principal(check_principal(name), password) for name in names]
    if args.from_file is not None:
        principals.extend(read_principals(Path(args.from_file)))
    if not principals:
        raise AclError("nothing to apply: give --agency ID, --worker or --from FILE")
    return principals


def _run(args: argparse.Namespace) -> int:
    from kafka.errors import KafkaError

    try:
        principals = _principals(args)
        lines = apply_principals(load_settings(), principals, args.topic_prefix)
    except (AclError, KafkaError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    print(f"applied ACLs for {len(principals)} principal(s)", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("acl", help="broker principals: SCRAM users and ACLs")
    actions = parser.add_subparsers(dest="acl_action", required=True, metavar="ACTION")
    apply = actions.add_parser("apply", help="create SCRAM users and ACLs (idempotent)")
    apply.add_argument("--agency", action="append", default=[], metavar="ID", help="agency id")
    apply.add_argument("--worker", action="store_true", help=f"the {HUB_WORKER} principal")
    apply.add_argument("--from", dest="from_file", metavar="FILE", help="'<principal> [pw]' lines")
    secret = apply.add_mutually_exclusive_group()
    secret.add_argument("--password", help="SCRAM password (visible in `ps`; dev only)")
    secret.add_argument("--password-file", metavar="FILE", help="first line is the password")
    apply.add_argument("--topic-prefix", help="topic prefix (default HUB_TOPIC_PREFIX)")
    apply.set_defaults(handler=_run)
