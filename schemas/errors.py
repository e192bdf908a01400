"""Errors of the event contracts: one root, one class per thing that can go wrong.

Only ``hub_api`` turns these into protocol codes (the Confluent codes noted per class).
"""

from __future__ import annotations


class SchemaError(Exception):
    """Root of every error raised by the ``schemas`` package and the schema store."""


# --- schema definitions and the catalog ---------------------------------------------


class InvalidSchemaError(SchemaError):
    """A schema text is not JSON, or not a valid Avro schema (Confluent 42201)."""


class CatalogError(SchemaError):
    """The packaged ``.avsc`` files are inconsistent (missing file, unresolved name)."""


class UnknownEventTypeError(SchemaError):
    """A CloudEvents type or record name that the event catalog does not know."""


class InvalidCompatibilityLevelError(SchemaError):
    """A compatibility level other than NONE, BACKWARD, FORWARD, FULL (+ _TRANSITIVE)."""


# --- the schema registry --------------------------------------------------------------


class SubjectNotFoundError(SchemaError):
    """No (live) subject of that name (Confluent 40401)."""


class VersionNotFoundError(SchemaError):
    """The subject has no (live) version of that number (Confluent 40402)."""


class SchemaNotFoundError(SchemaError):
    """No schema with that id, or not registered under that subject (Confluent 40403)."""


class SubjectConfigNotFoundError(SchemaError):
    """The subject has no compatibility level of its own (Confluent 40408)."""


class InvalidVersionError(SchemaError):
    """A version that is neither a positive integer nor ``latest`` (Confluent 42202)."""


class IncompatibleSchemaError(SchemaError):
    """The new schema breaks the subject's compatibility rule (Confluent 409)."""

    def __init__(self, message: str, messages: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.messages = messages


class StoreUnavailableError(SchemaError):
    """The schema store cannot reach Kafka, or timed out waiting for its own write."""


# --- the codec ------------------------------------------------------------------------


class EncodeError(SchemaError):
    """An event cannot be encoded: its data does not fit its schema."""


class DecodeError(SchemaError):
    """A Kafka message cannot be decoded; the caller decides where it goes (quarantine)."""


class MissingHeaderError(DecodeError):
    """A required CloudEvents header (``ce_*`` or ``content-type``) is absent."""

    def __init__(self, header: str) -> None:
        super().__init__(f"missing CloudEvents header {header!r}")
        self.header = header


class InvalidHeaderError(DecodeError):
    """A CloudEvents header is present but unusable (not UTF-8, duplicated, wrong value)."""

    def __init__(self, header: str, reason: str) -> None:
        super().__init__(f"invalid CloudEvents header {header!r}: {reason}")
        self.header = header


class TruncatedValueError(DecodeError):
    """The value is shorter than the 5-byte Confluent wire-format prefix."""


class BadMagicByteError(DecodeError):
    """The value does not start with the Confluent wire-format magic byte 0."""


class UnknownSchemaIdError(DecodeError):
    """The writer schema id is not in the registry (or the registry could not say)."""

    def __init__(self, schema_id: int, reason: str = "not registered") -> None:
        super().__init__(f"unknown writer schema id {schema_id}: {reason}")
        self.schema_id = schema_id


class ValueMismatchError(DecodeError):
    """The Avro body does not match its writer schema (or the reader cannot read it)."""


class EventTypeMismatchError(DecodeError):
    """``ce_type`` names one event but the writer schema is another event's record."""
