"""``hub schemas register``: register every contract under ``schemas/avro`` (idempotent).

Fails, naming the subject and the broken rule, when a changed file is incompatible with
what the registry already holds for its subject.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from hub_settings import HubSettings, load_settings
from registry.schema_store import SchemaStore
from schemas import (
    EventCatalog,
    IncompatibleSchemaError,
    SchemaError,
    SchemaId,
    SchemaNotFoundError,
    SubjectNotFoundError,
    load_catalog,
)


@dataclass(frozen=True, slots=True)
class Registration:
    """The outcome for one subject: its schema id and version, and whether it is new."""

    subject: str
    schema_id: SchemaId
    version: int
    created: bool


def register_all(
    settings: HubSettings,
    *,
    store: SchemaStore | None = None,
    topic: str | None = None,
    catalog: EventCatalog | None = None,
) -> list[Registration]:
    """Register every packaged record schema under its subject (the record full name).

    Uses ``store`` if given (already started), else runs one for the call. Raises
    IncompatibleSchemaError on the first subject whose rule the packaged schema breaks.
    """
    catalog = catalog or load_catalog()
    if store is None:
        with SchemaStore(settings, topic=topic) as owned:
            return register_all(settings, store=owned, catalog=catalog)
    results = []
    for subject in catalog.record_names():
        text = catalog.schema_text(subject)
        try:
            entry = store.lookup(subject, text)
            results.append(Registration(subject, entry.schema_id, entry.version, False))
            continue
        except (SubjectNotFoundError, SchemaNotFoundError):
            pass
        store.register(subject, text)
        entry = store.lookup(subject, text)
        results.append(Registration(subject, entry.schema_id, entry.version, True))
    return results


def _run_register(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        results = register_all(settings, topic=args.topic)
    except IncompatibleSchemaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SchemaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for r in results:
        state = "registered" if r.created else "unchanged"
        print(f"{r.subject}: id {r.schema_id}, version {r.version} ({state})")
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``schemas register`` to the ``hub`` command line."""
    group = subparsers.add_parser("schemas", help="event contracts (Avro schemas)")
    actions = group.add_subparsers(dest="schemas_command", required=True, metavar="ACTION")
    register = actions.add_parser(
        "register", help="register every schemas/avro file in the schema registry (idempotent)"
    )
    register.add_argument(
        "--topic", default=None, help="registry topic (default: HUB_SCHEMAS_TOPIC, _schemas)"
    )
    register.set_defaults(handler=_run_register)
