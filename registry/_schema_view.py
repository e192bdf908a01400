"""The schema registry's in-memory view, rebuilt from the ``_schemas`` topic records.

Pure: it applies records (bytes key, bytes value) in log order and answers queries; the
Kafka I/O lives in ``_schema_log``. Record shapes are the Confluent registry's own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from schemas import (
    DEFAULT_LEVEL,
    CompatibilityLevel,
    InvalidVersionError,
    SchemaId,
    SchemaNotFoundError,
    SubjectConfigNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
    identity_key,
)

log = logging.getLogger(__name__)

LATEST = "latest"


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One version of a subject: its global schema id and the schema text."""

    subject: str
    version: int
    schema_id: SchemaId
    schema: str
    deleted: bool = False


def schema_key(subject: str, version: int) -> bytes:
    """The topic key of a subject version (Confluent ``SCHEMA`` key)."""
    return _dump({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})


def schema_value(entry: SchemaVersion) -> bytes:
    """The topic value of a subject version (Confluent schema value)."""
    return _dump(
        {
            "subject": entry.subject,
            "version": entry.version,
            "id": entry.schema_id,
            "schema": entry.schema,
            "deleted": entry.deleted,
        }
    )


def config_key(subject: str | None) -> bytes:
    """The topic key of the global (None) or a subject's compatibility level."""
    return _dump({"keytype": "CONFIG", "subject": subject, "magic": 0})


def config_value(level: CompatibilityLevel) -> bytes:
    """The topic value of a compatibility level."""
    return _dump({"compatibilityLevel": level.value})


def delete_subject_key(subject: str) -> bytes:
    """The topic key of a subject's soft deletion."""
    return _dump({"keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0})


def delete_subject_value(subject: str, version: int) -> bytes:
    """Soft-deletes every version of ``subject`` up to ``version``."""
    return _dump({"subject": subject, "version": version})


def parse_version(version: int | str) -> int | None:
    """A version number, or None for ``latest`` / -1; InvalidVersionError otherwise."""
    if isinstance(version, str):
        if version == LATEST:
            return None
        try:
            version = int(version)
        except ValueError:
            raise InvalidVersionError(
                f"version {version!r} is neither a positive integer nor 'latest'"
            ) from None
    if version == -1:
        return None
    if not 1 <= version <= 2**31 - 1:
        raise InvalidVersionError(f"version {version} is not a positive 32-bit integer")
    return version


class SchemaView:
    """Subjects, versions, ids and compatibility levels as of the records applied so far."""

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}
        self._ids: dict[str, SchemaId] = {}
        self._subjects: dict[str, dict[int, SchemaVersion]] = {}
        self._global_level: CompatibilityLevel | None = None
        self._levels: dict[str, CompatibilityLevel] = {}
        self._max_id = 0

    # --- applying topic records -------------------------------------------------------

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one topic record; records that do not parse are logged and skipped."""
        try:
            parsed_key = json.loads(key) if key is not None else None
            parsed_value = json.loads(value) if value is not None else None
            if not isinstance(parsed_key, dict):
                return
            keytype = parsed_key.get("keytype")
            if keytype == "SCHEMA":
                self._apply_schema(parsed_key, parsed_value)
            elif keytype == "CONFIG":
                self._apply_config(parsed_key, parsed_value)
            elif keytype == "DELETE_SUBJECT":
                self._apply_delete_subject(parsed_key, parsed_value)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("skipping unreadable _schemas record %r: %s", key, exc)

    def _apply_schema(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        subject, version = str(key["subject"]), int(key["version"])
        if value is None:  # tombstone: permanent deletion of the version
            self._subjects.get(subject, {}).pop(version, None)
            return
        schema_id, text = SchemaId(int(value["id"])), str(value["schema"])
        entry = SchemaVersion(subject, version, schema_id, text, bool(value.get("deleted")))
        self._subjects.setdefault(subject, {})[version] = entry
        if schema_id not in self._texts:
            self._texts[schema_id] = text
            self._ids.setdefault(identity_key(text), schema_id)
        self._max_id = max(self._max_id, schema_id)

    def _apply_config(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        subject = key.get("subject")
        level = None if value is None else CompatibilityLevel.parse(value["compatibilityLevel"])
        if subject is None:
            self._global_level = level
        elif level is None:
            self._levels.pop(subject, None)
        else:
            self._levels[subject] = level

    def _apply_delete_subject(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        if value is None:
            return
        subject, upto = str(key["subject"]), int(value["version"])
        versions = self._subjects.get(subject, {})
        for number, entry in list(versions.items()):
            if number <= upto and not entry.deleted:
                versions[number] = SchemaVersion(
                    entry.subject, entry.version, entry.schema_id, entry.schema, True
                )

    # --- queries ----------------------------------------------------------------------

    def subjects(self, include_deleted: bool = False) -> list[str]:
        """Subjects with at least one (live, unless ``include_deleted``) version, sorted."""
        return sorted(
            name
            for name, versions in self._subjects.items()
            if any(include_deleted or not v.deleted for v in versions.values())
        )

    def versions(self, subject: str, include_deleted: bool = False) -> list[SchemaVersion]:
        """The subject's versions, oldest first; SubjectNotFoundError when none."""
        found = [
            entry
            for _, entry in sorted(self._subjects.get(subject, {}).items())
            if include_deleted or not entry.deleted
        ]
        if not found:
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        return found

    def get_version(
        self, subject: str, version: int | str, include_deleted: bool = False
    ) -> SchemaVersion:
        """One version (a number, ``latest`` or -1) of a subject."""
        number = parse_version(version)
        versions = self.versions(subject, include_deleted)
        if number is None:
            return versions[-1]
        for entry in versions:
            if entry.version == number:
                return entry
        raise VersionNotFoundError(f"Version {number} not found.")

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text of a global id."""
        try:
            return self._texts[schema_id]
        except KeyError:
            raise SchemaNotFoundError(f"Schema {schema_id} not found") from None

    def lookup(self, subject: str, schema: str, include_deleted: bool = False) -> SchemaVersion:
        """The version of ``subject`` holding ``schema`` (the newest such version)."""
        versions = self.versions(subject, include_deleted)
        wanted = self._ids.get(identity_key(schema))
        for entry in reversed(versions):
            if entry.schema_id == wanted:
                return entry
        raise SchemaNotFoundError("Schema not found")

    def id_for(self, schema: str) -> SchemaId | None:
        """The global id of ``schema`` if registered under any subject."""
        return self._ids.get(identity_key(schema))

    def next_id(self) -> SchemaId:
        """The id a new schema gets: one more than the largest id ever seen."""
        return SchemaId(self._max_id + 1)

    def next_version(self, subject: str) -> int:
        """The version a new schema of ``subject`` gets (deleted versions count)."""
        return max(self._subjects.get(subject, {}), default=0) + 1

    def level(
        self, subject: str | None = None, default_to_global: bool = True
    ) -> CompatibilityLevel:
        """The compatibility level of ``subject`` (or the global one when None)."""
        if subject is not None:
            level = self._levels.get(subject)
            if level is not None:
                return level
            if not default_to_global:
                raise SubjectConfigNotFoundError(
                    f"Subject '{subject}' does not have subject-level compatibility configured"
                )
        return self._global_level or DEFAULT_LEVEL


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
