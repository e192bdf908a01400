"""The ``hub`` command line: one sub-command group per area, each defined in its own module."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from bench import cli as bench_cli
from bench import soak
from connectors import cli as connectors_cli
from hub_api import (
    acl_cli,
    api_cli,
    audit_cli,
    dev,
    kafka_cli,
    keys_cli,
    quarantine_cli,
    registry_cli,
    schemas_cli,
    worker_cli,
)

CommandGroup = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Each area adds its sub-commands here; a handler returns the process exit code.
_GROUPS: tuple[CommandGroup, ...] = (
    kafka_cli.add_commands,
    dev.add_commands,
    worker_cli.add_commands,
    api_cli.add_commands,
    schemas_cli.add_commands,
    registry_cli.add_commands,
    keys_cli.add_commands,
    audit_cli.add_commands,
    acl_cli.add_commands,
    connectors_cli.add_commands,
    quarantine_cli.add_commands,
    bench_cli.add_commands,
    soak.add_commands,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub",
        description="Thanh Hóa Integration Hub (trục tích hợp liên thông tỉnh Thanh Hóa).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _GROUPS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)  # kafka-python is chatty at INFO
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
