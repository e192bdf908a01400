"""``hub quarantine list|replay``.

The same logic as ``/v1/quarantine`` and ``/v1/deadletter`` (``hub_api.rejected``):
list rejected records with their reasons, replay one (by partition and offset) or all
records with a given reason after the cause was fixed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hub_api.rejected import Kind, RejectedLog, RejectedRecord, ReplayError, replay
from hub_api.services import KafkaSender
from hub_settings import HubSettings, load_settings
from registry.publishing import PublishError
from schemas import EventCodec, InMemoryResolver
from schemas.topics import TopicNames

__all__ = ["add_commands"]


def _log(settings: HubSettings, kind: Kind) -> RejectedLog:
    topics = TopicNames(settings.topic_prefix)
    topic = topics.quarantine if kind == "quarantine" else topics.deadletter
    return RejectedLog(settings.kafka_client_config(), topic)


def _all(log: RejectedLog, reason: str | None, limit: int | None) -> list[RejectedRecord]:
    found: list[RejectedRecord] = []
    after: dict[int, int] | None = None
    while limit is None or len(found) < limit:
        want = 500 if limit is None else min(500, limit - len(found))
        page, after, more = log.browse(after, want, reason)
        found += page
        if not more:
            break
    return found


def _print(records: list[RejectedRecord], as_json: bool) -> None:
    rows: list[dict[str, Any]] = [r.summary() for r in records]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        print(
            f"{row['partition']}/{row['offset']}\t{row['reason']}\t{row['type'] or '-'}\t"
            f"{row['subject'] or '-'}\t{row['event_id'] or '-'}\t{row['detail'][:80]}"
        )
    print(f"{len(rows)} record(s)", file=sys.stderr)


def _run_list(args: argparse.Namespace) -> int:
    settings = load_settings()
    records = _all(_log(settings, args.kind), args.reason, args.limit)
    _print(records, args.json)
    return 0


def _run_replay(args: argparse.Namespace) -> int:
    settings = load_settings()
    log = _log(settings, args.kind)
    if args.all:
        records = _all(log, args.reason, None)
    elif args.partition is None or args.offset is None:
        print("error: give PARTITION OFFSET, or --all [--reason R]", file=sys.stderr)
        return 2
    else:
        record = log.get(args.partition, args.offset)
        if record is None:
            print(f"error: no record at {args.partition}/{args.offset}", file=sys.stderr)
            return 1
        records = [record]
    sender = KafkaSender(settings, EventCodec(InMemoryResolver()))
    topics = TopicNames(settings.topic_prefix)
    failures = 0
    try:
        for record in records:
            try:
                target = replay(args.kind, record, topics, sender)
            except (ReplayError, PublishError) as exc:
                failures += 1
                print(f"{record.partition}/{record.offset}: not replayed: {exc}", file=sys.stderr)
                continue
            print(f"{record.partition}/{record.offset} -> {target}")
    finally:
        sender.close()
    return 1 if failures else 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``quarantine list|replay``.

    ``hub deadletter`` comes from ``connectors.cli``, which also knows the connectors'
    delivery ledger (a replayed delivery is never delivered twice).
    """
    for kind, about in (("quarantine", "events refused by verification, routing or tracking"),):
        group = subparsers.add_parser(kind, help=about)
        actions = group.add_subparsers(dest=f"{kind}_command", required=True, metavar="ACTION")
        listing = actions.add_parser("list", help=f"list {kind} records and their reasons")
        listing.add_argument("--reason", help="only records with this reason code")
        listing.add_argument("--limit", type=int, default=100, help="at most this many")
        listing.add_argument("--json", action="store_true", help="JSON output")
        listing.set_defaults(handler=_run_list, kind=kind)
        again = actions.add_parser("replay", help="re-publish originals after a fix")
        again.add_argument("partition", type=int, nargs="?", help="partition of the record")
        again.add_argument("offset", type=int, nargs="?", help="offset of the record")
        again.add_argument("--all", action="store_true", help="every record (see --reason)")
        again.add_argument("--reason", help="with --all: only records with this reason")
        again.set_defaults(handler=_run_replay, kind=kind)
