"""The event catalog: CloudEvents type <-> Avro record <-> domain topic, and the contracts.

The ``.avsc`` files (one per record, package data under ``schemas/avro``) may refer to each
other's named types; :meth:`EventCatalog.schema_text` inlines them so that every schema
handed to the registry or the codec is self-contained, as the Confluent registry expects.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, NewType

from schemas._parse import load_json
from schemas.errors import CatalogError, UnknownEventTypeError

NAMESPACE: Final = "vn.gov.thanhhoa.hub"
CE_TYPE_PREFIX: Final = "vn.gov.thanhhoa"
DOMAINS: Final = ("dossier", "payment", "document", "support")

RecordName = NewType("RecordName", str)
"""A record's full Avro name, also its registry subject (RecordNameStrategy)."""


@dataclass(frozen=True, slots=True)
class EventType:
    """One kind of event: its record, its domain and its name inside the domain."""

    record: str
    domain: str
    event: str

    @property
    def full_name(self) -> RecordName:
        """The Avro full name, e.g. ``vn.gov.thanhhoa.hub.DossierSubmitted``."""
        return RecordName(f"{NAMESPACE}.{self.record}")

    @property
    def subject(self) -> str:
        """The schema-registry subject (RecordNameStrategy: the record full name)."""
        return self.full_name

    @property
    def ce_type(self) -> str:
        """The CloudEvents ``type``, e.g. ``vn.gov.thanhhoa.dossier.submitted``."""
        return f"{CE_TYPE_PREFIX}.{self.domain}.{self.event}"

    @property
    def topic(self) -> str:
        """The topic that accepted events of this type go to."""
        return f"hub.events.{self.domain}"


EVENT_TYPES: Final = (
    EventType("DossierSubmitted", "dossier", "submitted"),
    EventType("DossierAccepted", "dossier", "accepted"),
    EventType("DossierRejected", "dossier", "rejected"),
    EventType("DossierStatusChanged", "dossier", "status_changed"),
    EventType("SupplementRequested", "dossier", "supplement_requested"),
    EventType("SupplementReceived", "dossier", "supplement_received"),
    EventType("DossierRouted", "dossier", "routed"),
    EventType("DossierOverdue", "dossier", "overdue"),
    EventType("ResultIssued", "dossier", "result_issued"),
    EventType("PaymentRequested", "payment", "requested"),
    EventType("PaymentCompleted", "payment", "completed"),
    EventType("PaymentFailed", "payment", "failed"),
    EventType("DocumentAttached", "document", "attached"),
    EventType("SupportRequested", "support", "requested"),
    EventType("SupportAssigned", "support", "assigned"),
    EventType("SupportAnswered", "support", "answered"),
    EventType("SupportClosed", "support", "closed"),
    EventType("SupportOverdue", "support", "overdue"),
    EventType("Notification", "support", "notification"),
)

_PRIMITIVES: Final = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)


class EventCatalog:
    """The packaged contracts and the event table, with self-contained schema texts."""

    def __init__(self, sources: Mapping[str, Any], events: Iterable[EventType] = EVENT_TYPES):
        self._sources = dict(sources)
        self._events = tuple(events)
        self._by_ce_type = {e.ce_type: e for e in self._events}
        self._by_record: dict[str, EventType] = {e.full_name: e for e in self._events}
        self._texts: dict[str, str] = {}
        for name in self._sources:
            self._texts[name] = json.dumps(
                self._expand(name), ensure_ascii=False, separators=(",", ":")
            )
        for event in self._events:
            if event.full_name not in self._sources:
                raise CatalogError(f"no .avsc file for event record {event.full_name}")

    @property
    def events(self) -> tuple[EventType, ...]:
        """Every event type, in catalog order."""
        return self._events

    def record_names(self) -> tuple[RecordName, ...]:
        """Every record with a file (events and shared sub-records), sorted."""
        return tuple(RecordName(n) for n in sorted(self._sources))

    def by_ce_type(self, ce_type: str) -> EventType:
        """The event type of a CloudEvents ``type``."""
        try:
            return self._by_ce_type[ce_type]
        except KeyError:
            raise UnknownEventTypeError(f"unknown CloudEvents type {ce_type!r}") from None

    def by_record(self, full_name: str) -> EventType:
        """The event type whose record has this full name."""
        try:
            return self._by_record[full_name]
        except KeyError:
            raise UnknownEventTypeError(f"no event type for record {full_name!r}") from None

    def find_record(self, full_name: str) -> EventType | None:
        """Like :meth:`by_record`, or None for a record that is not an event."""
        return self._by_record.get(full_name)

    def schema_text(self, full_name: str) -> str:
        """The self-contained schema JSON (compact) of a record, ready to register."""
        try:
            return self._texts[full_name]
        except KeyError:
            raise UnknownEventTypeError(f"no schema file for record {full_name!r}") from None

    def schema(self, full_name: str) -> Any:
        """The self-contained schema of a record as a fresh JSON object."""
        return json.loads(self.schema_text(full_name))

    def _expand(self, root: str) -> Any:
        """Inline every named type the root uses, defining each once (first use)."""
        defined: set[str] = set()

        def walk(node: Any, namespace: str) -> Any:
            if isinstance(node, str):
                if node in _PRIMITIVES:
                    return node
                full = node if "." in node else f"{namespace}.{node}"
                if full in defined:
                    return full
                if full not in self._sources:
                    raise CatalogError(f"{root}: unresolved named type {node!r}")
                return walk(copy.deepcopy(self._sources[full]), namespace)
            if isinstance(node, list):
                return [walk(branch, namespace) for branch in node]
            if not isinstance(node, dict):
                raise CatalogError(f"{root}: unexpected schema node {node!r}")
            kind = node.get("type")
            if kind in ("record", "enum", "fixed"):
                ns = node.get("namespace", namespace)
                name = node["name"]
                defined.add(name if "." in name else f"{ns}.{name}")
                if kind == "record":
                    for field in node["fields"]:
                        field["type"] = walk(field["type"], ns)
                return node
            if kind == "array":
                node["items"] = walk(node["items"], namespace)
            elif kind == "map":
                node["values"] = walk(node["values"], namespace)
            elif isinstance(kind, (list, dict)):
                node["type"] = walk(kind, namespace)
            return node

        return walk(copy.deepcopy(self._sources[root]), NAMESPACE)


def read_sources() -> dict[str, Any]:
    """Read every packaged ``.avsc`` file, keyed by the record's full name."""
    sources: dict[str, Any] = {}
    folder = resources.files("schemas").joinpath("avro")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".avsc"):
            continue
        schema = load_json(entry.read_text(encoding="utf-8"))
        full = f"{schema.get('namespace', NAMESPACE)}.{schema['name']}"
        if entry.name != f"{schema['name']}.avsc":
            raise CatalogError(f"{entry.name} defines {full}: file name must be the record name")
        sources[full] = schema
    return sources


@cache
def load_catalog() -> EventCatalog:
    """The catalog of the packaged contracts (read once per process)."""
    return EventCatalog(read_sources())
