"""The registry's in-memory view, fed Confluent-shaped ``_schemas`` records (no Kafka)."""

from __future__ import annotations

import json

import pytest

from registry._schema_view import (
    SchemaVersion,
    SchemaView,
    config_key,
    config_value,
    delete_subject_key,
    delete_subject_value,
    schema_key,
    schema_value,
)
from schemas import (
    CompatibilityLevel,
    InvalidVersionError,
    SchemaId,
    SchemaNotFoundError,
    SubjectConfigNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)

A = '{"type":"string"}'
B = '{"type":"long"}'


def _put(view: SchemaView, subject: str, version: int, schema_id: int, text: str) -> None:
    entry = SchemaVersion(subject, version, SchemaId(schema_id), text)
    view.apply(schema_key(subject, version), schema_value(entry))


def test_keys_and_values_are_confluent_shaped() -> None:
    assert json.loads(schema_key("s", 1)) == {
        "keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1,
    }  # fmt: skip
    value = json.loads(schema_value(SchemaVersion("s", 1, SchemaId(7), A)))
    assert value == {"subject": "s", "version": 1, "id": 7, "schema": A, "deleted": False}
    assert json.loads(config_key(None)) == {"keytype": "CONFIG", "subject": None, "magic": 0}
    assert json.loads(config_value(CompatibilityLevel.FULL)) == {"compatibilityLevel": "FULL"}


def test_versions_ids_and_lookup() -> None:
    view = SchemaView()
    _put(view, "s", 1, 1, A)
    _put(view, "s", 2, 2, B)
    _put(view, "t", 1, 1, A)
    assert view.subjects() == ["s", "t"]
    assert [v.version for v in view.versions("s")] == [1, 2]
    assert view.get_version("s", "latest").schema_id == 2
    assert view.get_version("s", -1).version == 2
    assert view.get_version("s", "1").schema == A
    assert view.lookup("t", '{ "type" : "string" }').version == 1  # whitespace is not identity
    assert view.id_for(B) == 2
    assert view.next_id() == 3
    assert view.next_version("s") == 3


def test_not_found_errors() -> None:
    view = SchemaView()
    _put(view, "s", 1, 1, A)
    with pytest.raises(SubjectNotFoundError):
        view.versions("nope")
    with pytest.raises(VersionNotFoundError):
        view.get_version("s", 5)
    with pytest.raises(InvalidVersionError):
        view.get_version("s", "first")
    with pytest.raises(InvalidVersionError):
        view.get_version("s", 0)
    with pytest.raises(SchemaNotFoundError):
        view.schema_by_id(9)
    with pytest.raises(SchemaNotFoundError):
        view.lookup("s", B)


def test_soft_deletes() -> None:
    view = SchemaView()
    _put(view, "s", 1, 1, A)
    _put(view, "s", 2, 2, B)
    gone = SchemaVersion("s", 1, SchemaId(1), A, deleted=True)
    view.apply(schema_key("s", 1), schema_value(gone))
    assert [v.version for v in view.versions("s")] == [2]
    assert [v.version for v in view.versions("s", include_deleted=True)] == [1, 2]
    view.apply(delete_subject_key("s"), delete_subject_value("s", 2))
    assert view.subjects() == []
    assert view.subjects(include_deleted=True) == ["s"]
    assert view.schema_by_id(1) == A  # ids stay resolvable for old messages
    assert view.next_version("s") == 3


def test_levels() -> None:
    view = SchemaView()
    assert view.level() is CompatibilityLevel.BACKWARD
    view.apply(config_key(None), config_value(CompatibilityLevel.FULL))
    view.apply(config_key("s"), config_value(CompatibilityLevel.NONE))
    assert view.level() is CompatibilityLevel.FULL
    assert view.level("s") is CompatibilityLevel.NONE
    assert view.level("t") is CompatibilityLevel.FULL
    with pytest.raises(SubjectConfigNotFoundError):
        view.level("t", default_to_global=False)
    view.apply(config_key("s"), None)
    assert view.level("s") is CompatibilityLevel.FULL


@pytest.mark.parametrize(
    ("key", "value"),
    [(b"not json", b"{}"), (None, b"{}"), (b'{"keytype":"SCHEMA"}', b"{}"),
     (b'{"keytype":"NOOP","magic":0}', None), (b"[1]", b"2")],
)  # fmt: skip
def test_unreadable_records_are_skipped(key: bytes | None, value: bytes | None) -> None:
    view = SchemaView()
    view.apply(key, value)
    assert view.subjects() == []
