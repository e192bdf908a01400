"""A dossier submitted by a commune is verified, tracked and routed end to end."""

from __future__ import annotations

import pytest

from tests.support.pipeline import HAC_THANH, Pipeline, new_event

pytestmark = pytest.mark.integration


def test_submitted_dossier_reaches_the_handling_agency_inbox(pipeline: Pipeline) -> None:
    code = f"{HAC_THANH}-261203-0001"
    event = new_event(
        "vn.gov.thanhhoa.dossier.submitted",
        HAC_THANH,
        code,
        {
            "dossier_code": code,
            "procedure_code": "1.001193",
            "receiving_agency_id": HAC_THANH,
            "applicant": {
                "kind": "CITIZEN",
                "full_name": "Lê Văn An",
                "citizen_id": "038090001234",
                "business_id": None,
                "phone": None,
                "email": None,
                "address": None,
            },
            "channel": "ONLINE",
            "submitted_at": __import__("datetime").datetime.now(__import__("datetime").UTC),
            "documents": [],
            "form_fields": {},
            "fees": [],
            "note": None,
        },
    )
    pipeline.publish(event)
    accepted = pipeline.records_for(pipeline.names.events("dossier"), code, 1)
    assert dict(accepted[0].headers)["ce_id"] == event.id.encode()
    state = pipeline.dossier_state(code, lambda s: s["status"] == 1)
    assert state["procedure"] == "1.001193"
