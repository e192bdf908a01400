"""Schema text helpers shared by the catalog, the codec, the checker and the store."""

from __future__ import annotations

import json
from typing import Any

import avro.errors
import avro.schema
from fastavro import parse_schema
from fastavro.schema import SchemaParseException, UnknownType

from schemas.errors import InvalidSchemaError


def load_json(text: str | bytes) -> Any:
    """Parse schema JSON text, raising :class:`InvalidSchemaError` on bad JSON."""
    try:
        return json.loads(text)
    except (ValueError, TypeError) as exc:
        raise InvalidSchemaError(f"schema is not valid JSON: {exc}") from exc


def normalize(text: str | bytes) -> str:
    """The stored form of a schema: compact JSON, key order kept (as Confluent stores it)."""
    return json.dumps(load_json(text), ensure_ascii=False, separators=(",", ":"))


def identity_key(text: str) -> str:
    """The key under which two schema texts count as the same schema (same id).

    Whitespace and key order do not matter; docs and defaults do (they change evolution).
    """
    return json.dumps(load_json(text), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def parse_avro(text: str) -> avro.schema.Schema:
    """Parse with the ``avro`` package (used by the compatibility checker)."""
    load_json(text)
    try:
        return avro.schema.parse(text)
    except (avro.errors.AvroException, ValueError, TypeError, KeyError) as exc:
        raise InvalidSchemaError(f"invalid Avro schema: {exc}") from exc


def parse_fastavro(schema: Any) -> Any:
    """Parse once for fastavro (the codec's hot path needs a pre-parsed schema)."""
    try:
        return parse_schema(schema)
    except (SchemaParseException, UnknownType, ValueError, TypeError, KeyError) as exc:
        raise InvalidSchemaError(f"invalid Avro schema: {exc}") from exc


def validate(text: str) -> str:
    """Validate a schema text with both Avro libraries; return its normalized form."""
    parse_avro(text)
    parse_fastavro(load_json(text))
    return normalize(text)
