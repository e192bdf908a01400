"""Event contracts of the hub: the Avro catalog, the CloudEvents codec, compatibility.

A leaf package: imports nothing of ours. Producers and consumers use :class:`EventCodec`
with a :class:`SchemaResolver` (the registry's schema store, or :class:`InMemoryResolver`).
"""

from schemas._parse import identity_key
from schemas._parse import normalize as normalize_schema
from schemas._parse import validate as validate_schema
from schemas._wire import SchemaId
from schemas.catalog import (
    EVENT_TYPES,
    NAMESPACE,
    EventCatalog,
    EventType,
    RecordName,
    load_catalog,
)
from schemas.codec import EventCodec, SchemaResolver
from schemas.compat import (
    DEFAULT_LEVEL,
    CompatibilityLevel,
    CompatibilityResult,
    check_compatibility,
)
from schemas.errors import (
    BadMagicByteError,
    CatalogError,
    DecodeError,
    EncodeError,
    EventTypeMismatchError,
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidHeaderError,
    InvalidSchemaError,
    InvalidVersionError,
    MissingHeaderError,
    SchemaError,
    SchemaNotFoundError,
    StoreUnavailableError,
    SubjectConfigNotFoundError,
    SubjectNotFoundError,
    TruncatedValueError,
    UnknownEventTypeError,
    UnknownSchemaIdError,
    ValueMismatchError,
    VersionNotFoundError,
)
from schemas.memory import InMemoryResolver
from schemas.message import CloudEvent, Headers, KafkaMessage, format_time, parse_time

__all__ = [
    "DEFAULT_LEVEL",
    "EVENT_TYPES",
    "NAMESPACE",
    "BadMagicByteError",
    "CatalogError",
    "CloudEvent",
    "CompatibilityLevel",
    "CompatibilityResult",
    "DecodeError",
    "EncodeError",
    "EventCatalog",
    "EventCodec",
    "EventType",
    "EventTypeMismatchError",
    "Headers",
    "InMemoryResolver",
    "IncompatibleSchemaError",
    "InvalidCompatibilityLevelError",
    "InvalidHeaderError",
    "InvalidSchemaError",
    "InvalidVersionError",
    "KafkaMessage",
    "MissingHeaderError",
    "RecordName",
    "SchemaError",
    "SchemaId",
    "SchemaNotFoundError",
    "SchemaResolver",
    "StoreUnavailableError",
    "SubjectConfigNotFoundError",
    "SubjectNotFoundError",
    "TruncatedValueError",
    "UnknownEventTypeError",
    "UnknownSchemaIdError",
    "ValueMismatchError",
    "VersionNotFoundError",
    "check_compatibility",
    "format_time",
    "identity_key",
    "load_catalog",
    "normalize_schema",
    "parse_time",
    "validate_schema",
]
