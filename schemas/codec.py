"""The event codec: CloudEvent <-> Kafka message (CloudEvents Kafka binding, binary mode).

Value in the Confluent wire format, key = dossier code. Schemas are parsed once and
cached per schema id, so the per-message cost stays close to bare fastavro calls.
Decoding raises only :class:`~schemas.errors.DecodeError` subclasses, whatever the bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any, Protocol

from fastavro import schemaless_reader, schemaless_writer

from schemas._parse import identity_key, load_json, parse_fastavro
from schemas._wire import PREFIX_SIZE, SchemaId, prefix, read_prefix
from schemas.catalog import EventCatalog, load_catalog
from schemas.errors import (
    EncodeError,
    EventTypeMismatchError,
    InvalidHeaderError,
    MissingHeaderError,
    SchemaError,
    SchemaNotFoundError,
    UnknownSchemaIdError,
    ValueMismatchError,
)
from schemas.message import (
    AVRO_CONTENT_TYPE,
    CE_ID,
    CE_SOURCE,
    CE_SPECVERSION,
    CE_SUBJECT,
    CE_TIME,
    CE_TYPE,
    CONTENT_TYPE,
    SPECVERSION,
    CloudEvent,
    Headers,
    KafkaMessage,
    _assemble_event,
    parse_time,
)

_REQUIRED = (CE_ID, CE_SOURCE, CE_TYPE, CE_SUBJECT, CE_TIME, CE_SPECVERSION)
_OWNED = frozenset((*_REQUIRED, CONTENT_TYPE))
_fromisoformat = datetime.fromisoformat
_SPECVERSION_BYTES = SPECVERSION.encode()
_CONTENT_TYPE_BYTES = AVRO_CONTENT_TYPE.encode()


class SchemaResolver(Protocol):
    """Where the codec finds schemas: the schema store, or an in-memory stand-in."""

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text registered under ``schema_id``; SchemaNotFoundError if none."""
        ...

    def lookup_id(self, subject: str, schema: str) -> int:
        """The id of ``schema`` registered under ``subject``; a SchemaError if not there."""
        ...


@dataclass(frozen=True, slots=True)
class _Writer:
    schema_id: int
    prefix: bytes
    parsed: Any


@dataclass(frozen=True, slots=True)
class _Reader:
    schema_id: int
    writer: Any
    reader: Any  # None when the reader's schema is the writer's (no resolution needed)
    ce_type: str | None  # the ce_type the writer record stands for, if an event


class EventCodec:
    """Encode and decode hub events; one per process, shared by producers and consumers.

    ``writer_schemas`` / ``reader_schemas`` (record full name -> schema text) pin other
    versions than the packaged catalog's: an old consumer keeps reading with its own.
    """

    def __init__(
        self,
        resolver: SchemaResolver,
        catalog: EventCatalog | None = None,
        *,
        writer_schemas: Mapping[str, str] | None = None,
        reader_schemas: Mapping[str, str] | None = None,
    ) -> None:
        self._resolver = resolver
        self._catalog = catalog or load_catalog()
        self._writer_texts = dict(writer_schemas or {})
        self._reader_texts = dict(reader_schemas or {})
        self._writers: dict[str, _Writer] = {}
        self._readers: dict[bytes, _Reader] = {}  # by the 5-byte wire prefix
        self._known_types = frozenset(e.ce_type for e in self._catalog.events)

    def encode(self, event: CloudEvent) -> KafkaMessage:
        """The Kafka message for ``event``; EncodeError if its data does not fit."""
        writer = self._writers.get(event.type) or self._load_writer(event.type)
        out = BytesIO()
        out.write(writer.prefix)
        try:
            schemaless_writer(out, writer.parsed, event.data)
        except Exception as exc:
            raise EncodeError(f"{event.type} data does not fit its schema: {exc!r}") from exc
        subject = event.subject.encode()
        headers = (
            (CE_ID, event.id.encode()),
            (CE_SOURCE, event.source.encode()),
            (CE_TYPE, event.type.encode()),
            (CE_SUBJECT, subject),
            (CE_TIME, event.time.encode()),
            (CE_SPECVERSION, _SPECVERSION_BYTES),
            (CONTENT_TYPE, _CONTENT_TYPE_BYTES),
            *event.extra_headers,
        )
        return KafkaMessage(subject, out.getvalue(), headers)

    def decode(self, message: KafkaMessage) -> CloudEvent:
        """The event in ``message``; only DecodeError subclasses on bad input."""
        headers = message.headers
        try:  # fast path: encode()'s seven headers first, in its order, all valid
            (n0, v0), (n1, v1), (n2, v2), (n3, v3), (n4, v4), (n5, v5), (n6, v6) = headers[:7]
            extra = headers[7:]
            fast = (  # a chain of == is cheaper here than comparing a tuple of the names
                n0 == CE_ID
                and n1 == CE_SOURCE
                and n2 == CE_TYPE
                and n3 == CE_SUBJECT
                and n4 == CE_TIME
                and n5 == CE_SPECVERSION
                and n6 == CONTENT_TYPE
                and v5 == _SPECVERSION_BYTES
                and (v6 == _CONTENT_TYPE_BYTES or v6.startswith(_CONTENT_TYPE_BYTES))
                and (not extra or _OWNED.isdisjoint([pair[0] for pair in extra]))
            )
            if fast:
                id_, source, ce_type, subject, time = (
                    v0.decode(), v1.decode(), v2.decode(), v3.decode(), v4.decode()
                )  # fmt: skip
                fast = _fromisoformat(time).tzinfo is not None
        except (ValueError, TypeError, AttributeError):  # UnicodeDecodeError is a ValueError
            fast = False
        if not fast:  # anything else, and every error, the general way
            id_, source, ce_type, subject, time, extra = _split_headers(headers)
        value = message.value
        try:  # keyed by the prefix bytes: a hit means magic byte 0 and a loaded schema id
            reader = self._readers[value[:PREFIX_SIZE]]
        except (KeyError, TypeError):  # a new schema id, a bad prefix, or not bytes
            schema_id = read_prefix(value)  # the typed errors for short or foreign values
            reader = self._readers.get(prefix(schema_id)) or self._load_reader(schema_id)
        if reader.ce_type != ce_type and (
            reader.ce_type is not None or ce_type in self._known_types
        ):
            raise _type_mismatch(ce_type, reader)
        body = BytesIO(value)
        body.seek(PREFIX_SIZE)
        try:
            data = schemaless_reader(body, reader.writer, reader.reader)
        except Exception as exc:
            raise ValueMismatchError(
                f"value does not match writer schema {reader.schema_id}: {exc!r}"
            ) from exc
        if body.tell() != len(value):
            raise ValueMismatchError(
                f"{len(value) - body.tell()} bytes left after the record of schema "
                f"{reader.schema_id}"
            )
        if not isinstance(data, dict):
            raise ValueMismatchError(f"writer schema {reader.schema_id} is not a record schema")
        return _assemble_event(ce_type, source, subject, data, id_, time, extra, reader.schema_id)

    def writer_id(self, ce_type: str) -> SchemaId:
        """The schema id the codec writes ``ce_type`` events with (resolved once)."""
        writer = self._writers.get(ce_type) or self._load_writer(ce_type)
        return SchemaId(writer.schema_id)

    def _load_writer(self, ce_type: str) -> _Writer:
        event = self._catalog.by_ce_type(ce_type)
        text = self._writer_texts.get(event.full_name) or self._catalog.schema_text(event.full_name)
        schema_id = self._resolver.lookup_id(event.subject, text)
        writer = _Writer(schema_id, prefix(schema_id), parse_fastavro(load_json(text)))
        self._writers[ce_type] = writer
        return writer

    def _load_reader(self, schema_id: int) -> _Reader:
        try:
            text = self._resolver.schema_by_id(schema_id)
            writer_json = load_json(text)
            writer = parse_fastavro(writer_json)
        except SchemaNotFoundError:
            raise UnknownSchemaIdError(schema_id) from None
        except SchemaError as exc:
            raise UnknownSchemaIdError(schema_id, str(exc)) from exc
        except Exception as exc:
            raise UnknownSchemaIdError(schema_id, f"resolver failed: {exc!r}") from exc
        full_name = _full_name(writer_json)
        event = self._catalog.find_record(full_name) if full_name else None
        reader = None
        reader_text = self._reader_texts.get(full_name or "")
        if reader_text is None and event is not None:
            reader_text = self._catalog.schema_text(event.full_name)
        if reader_text is not None and identity_key(reader_text) != identity_key(text):
            reader = parse_fastavro(load_json(reader_text))
        entry = _Reader(schema_id, writer, reader, event.ce_type if event else None)
        self._readers[prefix(schema_id)] = entry
        return entry


def _full_name(schema: Any) -> str | None:
    """The full name of a named top-level schema, else None."""
    if not isinstance(schema, dict) or not isinstance(schema.get("name"), str):
        return None
    name: str = schema["name"]
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _type_mismatch(ce_type: str, reader: _Reader) -> EventTypeMismatchError:
    if reader.ce_type is None:
        return EventTypeMismatchError(
            f"ce_type {ce_type!r} but writer schema {reader.schema_id} is not its record"
        )
    return EventTypeMismatchError(
        f"ce_type {ce_type!r} but writer schema {reader.schema_id} is {reader.ce_type!r}"
    )


def _split_headers(headers: Headers) -> tuple[str, str, str, str, str, Headers]:
    """ce_id, ce_source, ce_type, ce_subject, ce_time and the headers we do not own.

    Any order, any input (decode's fast path covers encode()'s own layout); raises the
    typed errors: missing, repeated, not text, wrong specversion or content type, bad time.
    """
    found = dict(headers)
    if len(found) == len(headers):  # no repeated name: the common, fast case
        extra: Headers = (
            ()
            if found.keys() <= _OWNED
            else tuple(pair for pair in headers if pair[0] not in _OWNED)
        )
    else:
        seen: set[str] = set()
        for name, _ in headers:
            if name in _OWNED and name in seen:
                raise InvalidHeaderError(name, "appears more than once")
            seen.add(name)
        extra = tuple(pair for pair in headers if pair[0] not in _OWNED)
    try:
        id_, source, ce_type, subject, time = (
            found[CE_ID].decode(),
            found[CE_SOURCE].decode(),
            found[CE_TYPE].decode(),
            found[CE_SUBJECT].decode(),
            found[CE_TIME].decode(),
        )
        specversion = found[CE_SPECVERSION]
    except KeyError as missing:
        raise MissingHeaderError(str(missing.args[0])) from None
    except (UnicodeDecodeError, AttributeError):
        raise _not_text(found) from None
    if specversion != _SPECVERSION_BYTES:
        raise InvalidHeaderError(CE_SPECVERSION, f"{specversion!r}, expected {SPECVERSION!r}")
    content_type = found.get(CONTENT_TYPE)
    if content_type is not None and not content_type.startswith(_CONTENT_TYPE_BYTES):
        raise InvalidHeaderError(CONTENT_TYPE, f"{content_type!r}, expected application/avro")
    parse_time(time)
    return id_, source, ce_type, subject, time, extra


def _not_text(found: dict[str, Any]) -> InvalidHeaderError:
    """The error for the first required header that is not UTF-8 text (the slow path)."""
    for name in _REQUIRED:
        try:
            found[name].decode()
        except (UnicodeDecodeError, AttributeError):
            return InvalidHeaderError(name, "not UTF-8 text")
    return InvalidHeaderError(CE_ID, "not UTF-8 text")
