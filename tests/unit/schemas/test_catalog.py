"""The packaged contracts: names, docs, logical types, and the event catalog table."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from fastavro import parse_schema

from schemas import EVENT_TYPES, NAMESPACE, CatalogError, UnknownEventTypeError, load_catalog
from schemas._parse import parse_avro
from schemas.catalog import EventCatalog, read_sources

ISSUE_RECORDS = {
    "DossierSubmitted", "DossierAccepted", "DossierRejected", "DossierStatusChanged",
    "SupplementRequested", "SupplementReceived", "DossierRouted", "DossierOverdue",
    "ResultIssued", "PaymentRequested", "PaymentCompleted", "PaymentFailed", "DocumentAttached",
    "SupportRequested", "SupportAssigned", "SupportAnswered", "SupportClosed", "SupportOverdue",
    "Notification",
}  # fmt: skip
CE_HEADER_WORDS = {"specversion", "ce_id", "ce_source", "ce_type", "ce_time", "datacontenttype"}


def _files() -> dict[str, Any]:
    folder = resources.files("schemas").joinpath("avro")
    return {
        entry.name: json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".avsc")
    }


def _named(node: Any) -> list[dict[str, Any]]:
    """Every record/enum definition inside a schema node."""
    if isinstance(node, list):
        return [n for branch in node for n in _named(branch)]
    if not isinstance(node, dict):
        return []
    found = [node] if node.get("type") in ("record", "enum") else []
    for key in ("fields", "items", "values"):
        if key in node:
            found += _named(node[key])
    if isinstance(node.get("type"), (dict, list)):
        found += _named(node["type"])
    return found


def test_every_issue_record_has_a_file() -> None:
    names = {name.removesuffix(".avsc") for name in _files()}
    assert names >= ISSUE_RECORDS


@pytest.mark.parametrize("file_name", sorted(_files()))
def test_file_is_documented_and_namespaced(file_name: str) -> None:
    schema = _files()[file_name]
    assert schema["namespace"] == NAMESPACE
    assert file_name == f"{schema['name']}.avsc"
    assert schema["doc"].strip()
    for field in schema.get("fields", []):
        assert field["doc"].strip(), f"{file_name}: field {field['name']} has no doc"
        assert field["name"].isascii(), "names in English, Vietnamese only in docs"
        assert field["name"].lower() not in CE_HEADER_WORDS


@pytest.mark.parametrize("file_name", sorted(_files()))
def test_field_conventions(file_name: str) -> None:
    for field in _files()[file_name].get("fields", []):
        kind = field["type"]
        if isinstance(kind, list) and "null" in kind:
            assert kind[0] == "null"
            assert field.get("default", "absent") is None
        if field["name"].endswith("_at"):
            assert kind == {"type": "long", "logicalType": "timestamp-millis"}
        if field["name"].endswith("_vnd"):
            assert kind == "long"


@pytest.mark.parametrize("full_name", load_catalog().record_names())
def test_schema_text_is_self_contained(full_name: str) -> None:
    text = load_catalog().schema_text(full_name)
    parse_schema(json.loads(text))  # fastavro, with no named types given
    parse_avro(text)
    for definition in _named(json.loads(text)):
        assert definition["doc"].strip()


@pytest.mark.parametrize(
    ("record", "ce_type", "topic"),
    [
        ("DossierSubmitted", "vn.gov.thanhhoa.dossier.submitted", "hub.events.dossier"),
        ("DossierStatusChanged", "vn.gov.thanhhoa.dossier.status_changed", "hub.events.dossier"),
        ("SupplementRequested", "vn.gov.thanhhoa.dossier.supplement_requested",
         "hub.events.dossier"),
        ("DossierRouted", "vn.gov.thanhhoa.dossier.routed", "hub.events.dossier"),
        ("DossierOverdue", "vn.gov.thanhhoa.dossier.overdue", "hub.events.dossier"),
        ("ResultIssued", "vn.gov.thanhhoa.dossier.result_issued", "hub.events.dossier"),
        ("PaymentRequested", "vn.gov.thanhhoa.payment.requested", "hub.events.payment"),
        ("DocumentAttached", "vn.gov.thanhhoa.document.attached", "hub.events.document"),
    ],
)  # fmt: skip
def test_catalog_maps_type_record_topic(record: str, ce_type: str, topic: str) -> None:
    catalog = load_catalog()
    event = catalog.by_ce_type(ce_type)
    assert event.record == record
    assert event.topic == topic
    assert catalog.by_record(f"{NAMESPACE}.{record}") is event
    assert event.subject == f"{NAMESPACE}.{record}"


def test_catalog_covers_every_issue_record_once() -> None:
    assert {e.record for e in EVENT_TYPES} == ISSUE_RECORDS
    assert len({e.ce_type for e in EVENT_TYPES}) == len(EVENT_TYPES)


def test_unknown_type_and_record() -> None:
    with pytest.raises(UnknownEventTypeError):
        load_catalog().by_ce_type("vn.gov.thanhhoa.dossier.nope")
    with pytest.raises(UnknownEventTypeError):
        load_catalog().by_record("vn.gov.thanhhoa.hub.Nope")
    assert load_catalog().find_record(f"{NAMESPACE}.Applicant") is None


def test_shared_type_defined_once_then_referenced() -> None:
    text = load_catalog().schema_text(f"{NAMESPACE}.DossierSubmitted")
    assert text.count('"name":"DocumentRef"') == 1
    assert f'"{NAMESPACE}.DocumentRef"' not in text  # only used once here
    result = load_catalog().schema_text(f"{NAMESPACE}.SupplementReceived")
    assert result.count('"name":"DocumentRef"') == 1


def test_unresolved_reference_is_a_catalog_error() -> None:
    sources = read_sources()
    broken = dict(sources)
    broken[f"{NAMESPACE}.Broken"] = {
        "type": "record", "name": "Broken", "namespace": NAMESPACE, "doc": "x",
        "fields": [{"name": "a", "type": "Missing", "doc": "x"}],
    }  # fmt: skip
    with pytest.raises(CatalogError, match="Missing"):
        EventCatalog(broken)
