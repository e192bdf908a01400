"""Compare two catalogs: the changes (added, changed, removed) by entry kind and code.

Used by `hub registry diff` (to show them) and `hub registry apply` (to write only the
changes to `hub.registry`; a removed entry is written as a tombstone).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from registry._catalog import Catalog, EntryKind

__all__ = ["Change", "ChangeAction", "diff_catalogs", "entry_key"]


class ChangeAction(StrEnum):
    """Kind of change."""

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


def entry_key(kind: EntryKind, key: str) -> str:
    """The record key on the `hub.registry` topic: `<kind>:<code>`."""
    return f"{kind.value}:{key}"


@dataclass(frozen=True)
class Change:
    """One change; `after` is None on removal, `before` is None on addition."""

    kind: EntryKind
    key: str
    action: ChangeAction
    before: BaseModel | None
    after: BaseModel | None
    fields: tuple[str, ...] = ()

    @property
    def topic_key(self) -> str:
        """The record key on `hub.registry`."""
        return entry_key(self.kind, self.key)

    def __str__(self) -> str:
        sign = {"added": "+", "changed": "~", "removed": "-"}[self.action.value]
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{sign} {self.topic_key}{detail}"


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def diff_catalogs(old: Catalog, new: Catalog) -> list[Change]:
    """The changes from `old` to `new`, sorted by (kind, code); empty if they are equal."""
    before, after = old.entries(), new.entries()
    changes: list[Change] = []
    for ident in sorted(before.keys() | after.keys()):
        kind, key = ident
        was, now = before.get(ident), after.get(ident)
        if was is None and now is not None:
            changes.append(Change(kind, key, ChangeAction.ADDED, None, now))
        elif now is None and was is not None:
            changes.append(Change(kind, key, ChangeAction.REMOVED, was, None))
        elif was is not None and now is not None:
            old_fields, new_fields = _dump(was), _dump(now)
            differing = tuple(
                sorted(
                    name
                    for name in old_fields.keys() | new_fields.keys()
                    if old_fields.get(name) != new_fields.get(name)
                )
            )
            if differing:
                changes.append(Change(kind, key, ChangeAction.CHANGED, was, now, differing))
    return changes
