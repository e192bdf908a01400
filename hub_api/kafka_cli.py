"""``hub kafka start|stop|status``: the local development and test broker."""

from __future__ import annotations

import argparse
import sys

from hub_api.localkafka import LocalKafka, LocalKafkaError
from hub_settings import load_settings


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.kafka.external:
        _say(
            f"HUB_KAFKA_BOOTSTRAP={settings.kafka.bootstrap} is set: using that cluster, "
            "the local broker is not managed.",
        )
        return 0
    broker = LocalKafka(settings.local_kafka, progress=_say)
    try:
        if args.action == "start":
            broker.start()
        elif args.action == "stop":
            if not broker.stop():
                _say("Kafka was not running.")
        else:
            status = broker.status()
            print(status.describe())
            return 0 if status.running else 3
    except LocalKafkaError as exc:
        _say(f"error: {exc}")
        return exc.exit_code
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("kafka", help="run the local single-node Kafka broker (KRaft)")
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.set_defaults(handler=_run)
