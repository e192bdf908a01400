"""The schema registry store: a live view of the compacted ``_schemas`` topic.

Every hub process holds one (``start`` rebuilds the view from the topic and follows it).
Writes are linearised by a transactional-id fence (see ``_schema_log``) and return only
once this process's own reader has applied them. Also the codec's SchemaResolver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from hub_settings import HubSettings
from registry._compacted_log import FencedLog, LogBacked
from registry._schema_view import (
    SchemaVersion,
    SchemaView,
    config_key,
    config_value,
    delete_subject_key,
    delete_subject_value,
    parse_version,
    schema_key,
    schema_value,
)
from schemas import (
    CompatibilityLevel,
    CompatibilityResult,
    IncompatibleSchemaError,
    SchemaId,
    SchemaNotFoundError,
    SubjectNotFoundError,
    check_compatibility,
    validate_schema,
)

DEFAULT_TOPIC: Final = "_schemas"
_T = TypeVar("_T")

__all__ = ["DEFAULT_TOPIC", "SchemaStore", "SchemaVersion"]


class SchemaStore(LogBacked):
    """Confluent-registry semantics over a Kafka topic; thread-safe, blocking calls."""

    def __init__(
        self,
        settings: HubSettings,
        *,
        topic: str | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.topic = topic or settings.schemas_topic
        self._config = settings.kafka_client_config()
        self._timeout_s = timeout_s
        self._view = SchemaView()
        self._log = FencedLog(self._config, self.topic, self._view.apply, timeout_s=timeout_s)
        self._cond = self._log.cond

    # --- reads (from the live view) -----------------------------------------------------

    def subjects(self, *, include_deleted: bool = False) -> list[str]:
        """Every subject with a live version (or any version, with ``include_deleted``)."""
        return self._read(lambda v: v.subjects(include_deleted))

    def versions(self, subject: str, *, include_deleted: bool = False) -> list[SchemaVersion]:
        """The versions of ``subject``, oldest first."""
        return self._read(lambda v: v.versions(subject, include_deleted))

    def get_version(
        self, subject: str, version: int | str, *, include_deleted: bool = False
    ) -> SchemaVersion:
        """One version of ``subject``: a number, ``latest`` or -1."""
        return self._read(lambda v: v.get_version(subject, version, include_deleted))

    def lookup(self, subject: str, schema: str, *, include_deleted: bool = False) -> SchemaVersion:
        """The version of ``subject`` that holds ``schema`` (InvalidSchemaError if bad)."""
        text = validate_schema(schema)
        return self._read(lambda v: v.lookup(subject, text, include_deleted))

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text with global id ``schema_id`` (SchemaResolver)."""
        return self._read(lambda v: v.schema_by_id(schema_id))

    def lookup_id(self, subject: str, schema: str) -> int:
        """The id of ``schema`` registered under ``subject`` (SchemaResolver)."""
        return self.lookup(subject, schema).schema_id

    def get_level(
        self, subject: str | None = None, *, default_to_global: bool = True
    ) -> CompatibilityLevel:
        """The compatibility level of ``subject``, or the global one."""
        return self._read(lambda v: v.level(subject, default_to_global))

    def check(self, subject: str, version: int | str, schema: str) -> CompatibilityResult:
        """Would ``schema`` be compatible with ``version`` (``latest``: the subject's rule)?"""
        text = validate_schema(schema)
        with self._cond:
            level = self._view.level(subject)
            if parse_version(version) is None:
                try:
                    existing = [e.schema for e in self._view.versions(subject)]
                except SubjectNotFoundError:
                    existing = []  # a first version is compatible with nothing
            else:
                existing = [self._view.get_version(subject, version).schema]
        return check_compatibility(text, existing, level)

    # --- writes (linearised) ------------------------------------------------------------

    def register(self, subject: str, schema: str) -> SchemaId:
        """Register ``schema`` under ``subject``; the same schema always gets the same id.

        Raises InvalidSchemaError, IncompatibleSchemaError or StoreUnavailableError.
        """
        text = validate_schema(schema)

        def plan(view: SchemaView) -> tuple[SchemaId, bytes | None, bytes | None]:
            try:
                return view.lookup(subject, text).schema_id, None, None
            except (SubjectNotFoundError, SchemaNotFoundError):
                pass  # not (live) under this subject yet: a new version
            try:
                existing = [e.schema for e in view.versions(subject)]
            except SubjectNotFoundError:
                existing = []
            result = check_compatibility(text, existing, view.level(subject))
            if not result.compatible:
                raise IncompatibleSchemaError(
                    "Schema being registered is incompatible with an earlier schema for "
                    f"subject '{subject}': " + "; ".join(result.messages),
                    result.messages,
                )
            schema_id = view.id_for(text) or view.next_id()
            entry = SchemaVersion(subject, view.next_version(subject), schema_id, text)
            return schema_id, schema_key(subject, entry.version), schema_value(entry)

        return self._write(plan)

    def set_level(
        self, level: CompatibilityLevel | str, subject: str | None = None
    ) -> CompatibilityLevel:
        """Set the global (None) or a subject's compatibility level."""
        parsed = level if isinstance(level, CompatibilityLevel) else CompatibilityLevel.parse(level)
        return self._write(lambda _: (parsed, config_key(subject), config_value(parsed)))

    def delete_level(self, subject: str) -> CompatibilityLevel:
        """Remove a subject's own level; returns the level it had."""
        return self._write(
            lambda v: (v.level(subject, default_to_global=False), config_key(subject), None)
        )

    def delete_version(self, subject: str, version: int | str) -> int:
        """Soft-delete one version; returns its number."""

        def plan(view: SchemaView) -> tuple[int, bytes, bytes]:
            entry = view.get_version(subject, version)
            gone = SchemaVersion(entry.subject, entry.version, entry.schema_id, entry.schema, True)
            return entry.version, schema_key(subject, entry.version), schema_value(gone)

        return self._write(plan)

    def delete_subject(self, subject: str) -> list[int]:
        """Soft-delete every version of ``subject``; returns the deleted version numbers."""

        def plan(view: SchemaView) -> tuple[list[int], bytes, bytes]:
            numbers = [e.version for e in view.versions(subject)]
            return numbers, delete_subject_key(subject), delete_subject_value(subject, numbers[-1])

        return self._write(plan)

    # --- internals ----------------------------------------------------------------------

    def _read(self, query: Callable[[SchemaView], _T]) -> _T:
        with self._cond:
            return query(self._view)

    def _write(self, plan: Callable[[SchemaView], tuple[_T, bytes | None, bytes | None]]) -> _T:
        """Plan against an up-to-date view, write one record, wait until it is applied.

        ``plan`` returns (result, key, value); a None key means nothing to write.
        """

        def planned() -> tuple[_T, list[tuple[bytes, bytes | None]]]:
            result, key, value = plan(self._view)
            return result, [] if key is None else [(key, value)]

        return self._log.write(planned)
