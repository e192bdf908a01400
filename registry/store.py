"""The registry's home: the compacted ``hub.registry`` topic and a live view of it.

Event-sourced like the schema store: each catalog entry is one record keyed
``<kind>:<id>`` (value: the entry as JSON, or a tombstone when removed). Every process
holds a :class:`RegistryStore` that replays the topic on start and follows it; ``apply``
publishes only the changes and returns once this process's own reader has seen them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from hub_settings import HubSettings
from registry._calendar_overrides import CalendarOverride
from registry._catalog import Catalog, EntryKind
from registry._catalog_checks import Located
from registry._compacted_log import FencedLog, LogBacked
from registry._key_records import to_public_key_info
from registry.catalog_loader import build_catalog
from registry.diff import Change, diff_catalogs
from registry.errors import CatalogError, CatalogIssue
from registry.model import Agency, Procedure, Subscription
from schemas.topics import TopicNames
from security import PublicKeyInfo

log = logging.getLogger(__name__)

__all__ = ["RegistryKeys", "RegistryStore"]

_MODELS: dict[EntryKind, type[BaseModel]] = {
    EntryKind.AGENCY: Agency,
    EntryKind.PROCEDURE: Procedure,
    EntryKind.SUBSCRIPTION: Subscription,
    EntryKind.CALENDAR: CalendarOverride,
}


def _encode(model: BaseModel | None) -> bytes | None:
    if model is None:
        return None
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, sort_keys=True).encode()


class RegistryKeys:
    """Every agency's public keys by key id: the verifier's ``KeyLookup``."""

    def __init__(self, catalog: Catalog) -> None:
        self._keys: dict[str, PublicKeyInfo] = {}
        for agency in catalog.agencies.values():
            for key in agency.keys:
                self._keys[key.key_id] = to_public_key_info(agency.id, key)

    def get(self, key_id: str, /) -> PublicKeyInfo | None:
        return self._keys.get(key_id)

    def __len__(self) -> int:
        return len(self._keys)


class RegistryStore(LogBacked):
    """A live, validated view of ``hub.registry`` plus the linearised writer."""

    def __init__(self, settings: HubSettings, *, timeout_s: float = 30.0) -> None:
        self.topic = TopicNames(settings.topic_prefix).registry
        self._config = settings.kafka_client_config()
        self._timeout_s = timeout_s
        self._records: dict[str, bytes] = {}
        self._log = FencedLog(self._config, self.topic, self._apply_record, timeout_s=timeout_s)
        self._cond = self._log.cond
        self._catalog = Catalog()
        self._keys = RegistryKeys(self._catalog)
        self._dirty = False

    def _apply_record(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        name = key.decode("utf-8", errors="replace")
        if value is None:
            self._records.pop(name, None)
        else:
            self._records[name] = value
        self._dirty = True

    # --- reads --------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._log.started

    def catalog(self) -> Catalog:
        """The current catalog (rebuilt after the topic changed; the last valid one kept)."""
        with self._cond:
            if self._dirty:
                self._dirty = False
                try:
                    self._catalog = _build(self._records, self.topic)
                    self._keys = RegistryKeys(self._catalog)
                except CatalogError as exc:
                    log.error(
                        "hub.registry holds an invalid catalog; keeping the last one: %s", exc
                    )
            return self._catalog

    def keys(self) -> RegistryKeys:
        """Public keys of every agency (KeyLookup for signature verification)."""
        self.catalog()
        return self._keys

    # --- writes -------------------------------------------------------------------------
    def diff(self, new: Catalog) -> list[Change]:
        """What ``apply(new)`` would publish (agencies' registered keys are kept)."""
        return diff_catalogs(self.catalog(), self.with_current_keys(new))

    def with_current_keys(self, new: Catalog) -> Catalog:
        """``new`` with each agency's registered keys kept.

        Keys are registered, rotated and revoked with ``hub keys``, not in catalog files,
        so applying the catalog again must not drop or un-revoke them: a key in the view
        wins over the same key id in a file, and keys only in the view are kept.
        """
        current = self.catalog().agencies
        agencies = {}
        for agency_id, agency in new.agencies.items():
            known = current.get(agency_id)
            if known is not None and known.keys:
                registered = {key.key_id for key in known.keys}
                extra = [key for key in agency.keys if key.key_id not in registered]
                agency = agency.model_copy(update={"keys": [*known.keys, *extra]})
            agencies[agency_id] = agency
        return Catalog(agencies, new.procedures, new.subscriptions, new.calendar_overrides)

    def apply(self, new: Catalog) -> list[Change]:
        """Publish the entries that differ from the up-to-date view; wait until seen."""

        def plan() -> tuple[list[Change], list[tuple[bytes, bytes | None]]]:
            changes = self.diff(new)
            return changes, _records(changes)

        return self._log.write(plan)

    def put_agency(self, agency: Agency) -> None:
        """Replace one agency entry (key registration, rotation, revocation)."""

        def plan() -> tuple[None, list[tuple[bytes, bytes | None]]]:
            current = self.catalog()
            current.agency(agency.id)  # must exist already
            candidate = Catalog(
                {**current.agencies, agency.id: agency},
                current.procedures,
                current.subscriptions,
                current.calendar_overrides,
            )
            return None, _records(diff_catalogs(current, candidate))  # keys as given

        self._log.write(plan)


def _records(changes: list[Change]) -> list[tuple[bytes, bytes | None]]:
    return [(c.topic_key.encode(), _encode(c.after)) for c in changes]


def _build(records: Mapping[str, bytes], topic: str) -> Catalog:
    items: list[Located] = []
    issues: list[CatalogIssue] = []
    for key, value in records.items():
        kind_text, _, ident = key.partition(":")
        try:
            model = _MODELS[EntryKind(kind_text)]
            data: Any = json.loads(value)
            parsed = model.model_validate(data)
        except (ValueError, KeyError, ValidationError) as exc:
            issues.append(CatalogIssue(topic, key, "-", f"unreadable entry: {exc}"))
            continue
        assert isinstance(parsed, Agency | Procedure | Subscription | CalendarOverride)
        items.append(Located(topic, ident, parsed))
    return build_catalog(items, issues)
