"""The Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary."""

from __future__ import annotations

import struct
from typing import Final, NewType

from schemas.errors import BadMagicByteError, TruncatedValueError

SchemaId = NewType("SchemaId", int)
"""A global schema-registry id."""

MAGIC_BYTE: Final = 0
PREFIX_SIZE: Final = 5
_PREFIX: Final = struct.Struct(">BI")


def prefix(schema_id: int) -> bytes:
    """The 5-byte prefix of a value written with schema ``schema_id``."""
    return _PREFIX.pack(MAGIC_BYTE, schema_id)


def read_prefix(value: bytes) -> SchemaId:
    """The writer schema id of a framed value; typed errors for short or foreign values."""
    if len(value) < PREFIX_SIZE:
        raise TruncatedValueError(
            f"value has {len(value)} bytes, shorter than the {PREFIX_SIZE}-byte wire prefix"
        )
    magic, schema_id = _PREFIX.unpack_from(value)
    if magic != MAGIC_BYTE:
        raise BadMagicByteError(f"value starts with byte {magic:#04x}, not the magic byte 0x00")
    return SchemaId(schema_id)
