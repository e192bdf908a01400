"""``hub connector validate|run FILE`` and ``hub deadletter list|replay``.

``add_commands(sub)`` plugs into the ``hub`` parser; ``python -m connectors.cli`` runs the
same commands without the rest of the hub CLI.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from connectors.config import (
    ConnectorConfig,
    config_warnings,
    issue_at,
    line_index,
    load_config,
    secret,
)
from connectors.errors import ConfigError, ConfigIssue, ConnectorError
from connectors.inbound import Poller, WebhookServer, create_webhook_app
from connectors.metrics import ConnectorMetrics, serve
from connectors.runtime import OutboundConnector, open_target
from hub_settings import HubSettings, load_settings
from registry.errors import RegistryError
from registry.publishing import EventPublisher
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import EventCodec, KafkaMessage
from schemas.message import CE_ID
from schemas.rejects import Rejection, split_rejected
from schemas.topics import TopicNames
from security import KeyFileError, load_signer

__all__ = ["add_commands", "main", "online_issues", "run_connector"]

log = logging.getLogger(__name__)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- hub connector validate ----------------------------------------------------------------
def online_issues(config: ConnectorConfig, settings: HubSettings, text: str) -> list[ConfigIssue]:
    """Checks against the running hub: agency, key, topics, WSDL and its operation."""
    index, issues = line_index(text), []
    with RegistryStore(settings) as registry:
        agency = registry.catalog().agencies.get(config.agency)
    if agency is None:
        issues.append(issue_at(index, "agency", f"agency {config.agency} is not in the registry"))
    try:
        passphrase = secret(config.key.passphrase_env, "key.passphrase_env") or ""
        signer = load_signer(config.key_file, passphrase.encode(), config.agency)
        if agency is not None and signer.key_id not in {k.key_id for k in agency.keys}:
            message = f"key {signer.key_id} is not registered for {config.agency}"
            issues.append(issue_at(index, "key.file", message))
    except (ConfigError, KeyFileError) as exc:
        issues.append(issue_at(index, "key", str(exc).splitlines()[-1].strip()))
    topics = TopicNames(settings.topic_prefix)
    admin = KafkaAdminClient(**settings.kafka_client_config())
    try:
        existing = set(admin.list_topics())
    finally:
        admin.close()
    wanted: dict[str, str] = {}
    if config.inbound is not None:
        wanted["inbound"] = topics.ingress
    if config.outbound is not None:
        source = config.outbound.source
        wanted["outbound"] = topics.deadletter
        wanted["outbound.source"] = topics.inbox(config.agency) if source == "inbox" else source
    for field, topic in wanted.items():
        if topic not in existing:
            issues.append(issue_at(index, field, f"topic {topic} does not exist"))
    for where, side in (
        ("outbound", config.outbound),
        ("inbound.poll", config.inbound and config.inbound.poll),
    ):
        target = getattr(side, "target", None)
        if target is None or target.kind != "soap":
            continue
        try:
            client: Any = open_target(target)
            operations = client.client.operations()
            if target.operation not in operations:
                message = f"WSDL has no operation {target.operation!r}; it has {operations}"
                issues.append(issue_at(index, f"{where}.target.operation", message))
            fields = client.client.input_fields(target.operation) or []
            for name in getattr(side, "request", {}):
                if fields and str(name).split(".")[0] not in fields:
                    message = f"{target.operation} has no input {name!r}; it has {fields}"
                    issues.append(issue_at(index, f"{where}.request.{name}", message))
            client.close()
        except ConnectorError as exc:
            issues.append(issue_at(index, f"{where}.target.wsdl", str(exc)))
    return issues


def _validate(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        config = load_config(path)
        issues = [] if args.offline else online_issues(config, load_settings(), path.read_text())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (KafkaError, RegistryError) as exc:
        _say(f"error: cannot reach the hub: {exc}")
        return 2
    if issues:
        print(ConfigError(issues, str(path)), file=sys.stderr)
        return 1
    index = line_index(path.read_text(encoding="utf-8"))
    for field, message in config_warnings(config):  # allowed, but worth a second look
        _say(f"{path}: warning: {issue_at(index, field, message)}")
    print(f"{path}: connector {config.name} for {config.agency} is valid")
    return 0


# --- hub connector run ---------------------------------------------------------------------
def run_connector(config: ConnectorConfig, settings: HubSettings, stop: threading.Event) -> None:
    """Run every side of ``config`` until ``stop`` is set."""
    passphrase = secret(config.key.passphrase_env, "key.passphrase_env") or ""
    signer = load_signer(config.key_file, passphrase.encode(), config.agency)
    store = SchemaStore(settings, topic=settings.schemas_topic)
    store.start()
    codec = EventCodec(store)
    publisher = EventPublisher(settings, codec, signer)
    threads: list[threading.Thread] = []
    server: WebhookServer | None = None
    metrics = ConnectorMetrics(config.name)
    metrics_server = serve(
        metrics.registry, config.metrics.host, config.metrics.port, f"connector {config.name}"
    )
    try:
        if config.outbound is not None:
            outbound = OutboundConnector(
                config, settings, codec, signer, stop=stop, metrics=metrics
            )
            threads.append(threading.Thread(target=outbound.run, name="outbound"))
        if config.inbound is not None and config.inbound.poll is not None:
            poller = Poller(config, settings, publisher.publish, stop=stop)
            threads.append(threading.Thread(target=poller.run, name="poller"))
        if config.inbound is not None and (hook := config.inbound.webhook) is not None:
            app = create_webhook_app(config, hook, publisher.publish)
            server = WebhookServer(app, hook.host, hook.port).start()
            log.info("webhook listening on %s:%d%s", hook.host, server.port, hook.path)
        for thread in threads:
            thread.start()
        log.info("connector %s running", config.name)
        while not stop.wait(0.5):
            if any(not t.is_alive() for t in threads):
                raise ConnectorError("a connector thread ended unexpectedly")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        if server is not None:
            server.stop()
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()
        publisher.close()
        store.stop()


def _run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        config = load_config(args.file)
        run_connector(config, load_settings(), stop)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (ConnectorError, KeyFileError, KafkaError) as exc:
        _say(f"error: {exc}")
        return 2
    return 0


# --- hub deadletter list|replay --------------------------------------------------------------
def _read_deadletter(settings: HubSettings) -> list[tuple[int, KafkaMessage]]:
    topic = TopicNames(settings.topic_prefix).deadletter
    consumer = KafkaConsumer(**settings.kafka_client_config(), enable_auto_commit=False)
    found: list[tuple[int, KafkaMessage]] = []
    try:
        parts = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        if not parts:
            return found
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        while any(consumer.position(p) < ends[p] for p in parts):
            for records in consumer.poll(timeout_ms=2000).values():
                found += [(r.offset, KafkaMessage.from_record(r)) for r in records]
    finally:
        consumer.close()
    return found


def _selected(
    args: argparse.Namespace, settings: HubSettings
) -> list[tuple[int, KafkaMessage, Rejection]]:
    chosen = []
    for offset, record in _read_deadletter(settings):
        original, why = split_rejected(record)
        event_id = dict(original.headers).get(CE_ID, b"").decode(errors="replace")
        if args.connector and why.stage.split(":")[1:2] != [args.connector]:
            continue
        if (args.reason and why.reason != args.reason) or (args.id and event_id not in args.id):
            continue
        chosen.append((offset, original, why))
    return chosen


def _describe(offset: int, original: KafkaMessage, why: Rejection) -> dict[str, str]:
    headers = dict(original.headers)
    text = {
        k: headers.get(k, b"").decode(errors="replace") for k in ("ce_id", "ce_type", "ce_subject")
    }
    return {
        "offset": str(offset),
        **text,
        "reason": why.reason,
        "stage": why.stage,
        "origin": why.origin,
        "time": why.time,
        "detail": why.detail,
    }


def _list(args: argparse.Namespace) -> int:
    for offset, original, why in _selected(args, load_settings())[-args.limit :]:
        row = _describe(offset, original, why)
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(
                f"{row['offset']:>6} {row['time']} {row['stage']} {row['reason']} "
                f"{row['ce_id']} {row['ce_subject']}\n       {row['detail'][:200]}"
            )
    return 0


def _replay(args: argparse.Namespace) -> int:
    if not (args.connector or args.reason or args.id or args.all):
        _say("error: say what to replay: --connector, --reason, --id or --all")
        return 1
    settings = load_settings()
    producer = KafkaProducer(**settings.kafka_client_config(), acks="all", enable_idempotence=True)
    replayed = 0
    try:
        for offset, original, why in _selected(args, settings):
            topic = args.to or why.origin.rsplit("/", 2)[0]
            if not topic:
                _say(f"skip offset {offset}: no origin topic (use --to)")
                continue
            if not args.dry_run:
                producer.send(
                    topic, key=original.key, value=original.value, headers=original.header_list()
                ).get(30)
            replayed += 1
            print(f"replayed offset {offset} ({why.reason}) -> {topic}")
    finally:
        producer.close(timeout=5)
    _say(f"{replayed} message(s) {'would be ' if args.dry_run else ''}replayed")
    return 0


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--connector", help="only this connector's dead letters")
    parser.add_argument("--reason", help="only this reason (e.g. peer-rejected, in-doubt)")
    parser.add_argument("--id", action="append", help="only this event id (repeatable)")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``connector validate|run`` and ``deadletter list|replay``."""
    conn = sub.add_parser("connector", help="run or check a SOAP/REST connector from YAML")
    actions = conn.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="check a config; every error with its line")
    validate.add_argument("file")
    validate.add_argument("--offline", action="store_true", help="skip registry/Kafka/WSDL checks")
    validate.set_defaults(handler=_validate)
    run = actions.add_parser("run", help="run a connector until SIGTERM")
    run.add_argument("file")
    run.set_defaults(handler=_run)
    dead = sub.add_parser("deadletter", help="list or replay dead-lettered messages")
    dead_actions = dead.add_subparsers(dest="action", required=True)
    listing = dead_actions.add_parser("list", help="show dead letters, oldest first")
    _filters(listing)
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=_list)
    replay = dead_actions.add_parser("replay", help="send originals back to their topic")
    _filters(replay)
    replay.add_argument("--all", action="store_true", help="replay every dead letter")
    replay.add_argument("--to", help="topic to send to instead of the origin topic")
    replay.add_argument("--dry-run", action="store_true")
    replay.set_defaults(handler=_replay)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.cli")
    parser.add_argument("-v", "--verbose", action="store_true")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
