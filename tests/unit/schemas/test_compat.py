"""check_compatibility: the avro package's checker under every Confluent level."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas import (
    CompatibilityLevel,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    check_compatibility,
    load_catalog,
)


def record(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "Dossier", "namespace": "t", "fields": fields})


CODE = {"name": "code", "type": "string"}
NOTE_OPT = {"name": "note", "type": ["null", "string"], "default": None}
NOTE_REQ = {"name": "note", "type": "string"}
CODE_INT = {"name": "code", "type": "int"}
STATUS_INT = {"name": "status", "type": "int"}
STATUS_LONG = {"name": "status", "type": "long"}

V1 = record(CODE)
ADD_OPTIONAL = record(CODE, NOTE_OPT)
ADD_REQUIRED = record(CODE, NOTE_REQ)
TYPE_CHANGE = record(CODE_INT)
EMPTY = record()

# (new, existing, level, compatible)
CASES = [
    (ADD_OPTIONAL, [V1], "BACKWARD", True),
    (ADD_OPTIONAL, [V1], "FORWARD", True),
    (ADD_OPTIONAL, [V1], "FULL", True),
    (ADD_REQUIRED, [V1], "BACKWARD", False),
    (ADD_REQUIRED, [V1], "FORWARD", True),
    (ADD_REQUIRED, [V1], "FULL", False),
    (EMPTY, [V1], "BACKWARD", True),  # removing a field: new reader ignores it
    (EMPTY, [V1], "FORWARD", False),  # removing a required field: old readers break
    (EMPTY, [V1], "FULL", False),
    (TYPE_CHANGE, [V1], "BACKWARD", False),
    (TYPE_CHANGE, [V1], "FORWARD", False),
    (TYPE_CHANGE, [V1], "NONE", True),
    (record(STATUS_LONG), [record(STATUS_INT)], "BACKWARD", True),  # int promotes to long
    (record(STATUS_LONG), [record(STATUS_INT)], "FORWARD", False),
    # transitive: compatible with the latest, not with the first
    (record(CODE, NOTE_OPT), [V1, ADD_REQUIRED], "BACKWARD", True),
    (ADD_REQUIRED, [V1, ADD_REQUIRED], "BACKWARD", True),
    (ADD_REQUIRED, [V1, ADD_REQUIRED], "BACKWARD_TRANSITIVE", False),
    (EMPTY, [V1, ADD_OPTIONAL], "FORWARD_TRANSITIVE", False),
    (ADD_OPTIONAL, [V1, ADD_OPTIONAL], "FULL_TRANSITIVE", True),
    (ADD_REQUIRED, [], "FULL_TRANSITIVE", True),  # nothing to be compatible with
]


@pytest.mark.parametrize(("new", "existing", "level", "compatible"), CASES)
def test_levels(new: str, existing: list[str], level: str, compatible: bool) -> None:
    result = check_compatibility(new, existing, level)
    assert result.compatible is compatible
    assert bool(result.messages) is not compatible


def test_messages_name_the_problem() -> None:
    result = check_compatibility(TYPE_CHANGE, [V1], CompatibilityLevel.BACKWARD)
    assert any("type_mismatch" in m and "/fields/0" in m for m in result.messages)
    result = check_compatibility(ADD_REQUIRED, [V1], CompatibilityLevel.BACKWARD)
    assert any("reader_field_missing_default_value" in m and "note" in m for m in result.messages)


def test_enum_with_default_can_grow() -> None:
    def enum(*symbols: str) -> str:
        channel = {"type": "enum", "name": "C", "symbols": list(symbols), "default": "UNKNOWN"}
        return record({"name": "channel", "type": channel})

    old, new = enum("UNKNOWN", "ONLINE"), enum("UNKNOWN", "ONLINE", "VNEID")
    assert check_compatibility(new, [old], "FULL").compatible


@pytest.mark.parametrize("level", list(CompatibilityLevel))
def test_every_packaged_schema_is_compatible_with_itself(level: CompatibilityLevel) -> None:
    catalog = load_catalog()
    for name in catalog.record_names():
        text = catalog.schema_text(name)
        assert check_compatibility(text, [text], level).compatible


@pytest.mark.parametrize(
    "bad", ["{not json", '{"type": "record"}', '"nope"', record({"name": "a"})]
)
def test_invalid_schema(bad: str) -> None:
    with pytest.raises(InvalidSchemaError):
        check_compatibility(bad, [V1], "BACKWARD")


@pytest.mark.parametrize("level", ["backward", "full_transitive", "NONE"])
def test_level_names_are_case_insensitive(level: str) -> None:
    assert CompatibilityLevel.parse(level).value == level.upper()


def test_invalid_level() -> None:
    with pytest.raises(InvalidCompatibilityLevelError):
        check_compatibility(V1, [V1], "SIDEWAYS")
