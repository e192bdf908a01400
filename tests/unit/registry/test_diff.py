"""Catalog diff: only the changes are written to `hub.registry`."""

from __future__ import annotations

from dataclasses import replace

from registry import Catalog, ChangeAction, EntryKind, diff_catalogs, entry_key


def test_same_catalog_has_no_changes(catalog: Catalog) -> None:
    assert diff_catalogs(catalog, catalog) == []


def test_added_changed_removed(catalog: Catalog) -> None:
    procedures = dict(catalog.procedures)
    birth = procedures["1.001193"]
    procedures["1.001193"] = birth.model_copy(update={"fee_vnd": 10000, "name_en": "Birth"})
    del procedures["2.000488"]
    agencies = dict(catalog.agencies)
    new_agency = agencies["000.00.01.H56"].model_copy(update={"id": "000.00.99.H56"})
    agencies["000.00.99.H56"] = new_agency
    changed = replace(catalog, procedures=procedures, agencies=agencies)

    changes = diff_catalogs(catalog, changed)
    summary = [(c.kind, c.key, c.action) for c in changes]
    assert summary == [
        (EntryKind.AGENCY, "000.00.99.H56", ChangeAction.ADDED),
        (EntryKind.PROCEDURE, "1.001193", ChangeAction.CHANGED),
        (EntryKind.PROCEDURE, "2.000488", ChangeAction.REMOVED),
    ]
    assert changes[1].fields == ("fee_vnd", "name_en")
    assert changes[0].before is None
    assert changes[0].after == new_agency
    assert changes[2].after is None
    assert str(changes[1]) == "~ procedure:1.001193 (fee_vnd, name_en)"
    assert changes[2].topic_key == entry_key(EntryKind.PROCEDURE, "2.000488")


def test_empty_to_full_adds_everything(catalog: Catalog) -> None:
    changes = diff_catalogs(Catalog(), catalog)
    assert len(changes) == len(catalog.entries())
    assert {c.action for c in changes} == {ChangeAction.ADDED}
    assert (EntryKind.CALENDAR, "2026") in {(c.kind, c.key) for c in changes}
