"""A dossier submitted by a commune is verified, tracked and routed end to end."""

from __future__ import annotations

import pytest

from tests.support.dossiers import dossier_event
from tests.support.pipeline import HAC_THANH, Pipeline

pytestmark = pytest.mark.integration


def test_submitted_dossier_reaches_the_handling_agency_inbox(pipeline: Pipeline) -> None:
    code = f"{HAC_THANH}-261203-0001"
    event = dossier_event(
        "DossierSubmitted",
        HAC_THANH,
        code,
        receiving_agency_id=HAC_THANH,
        procedure_code="1.001193",
    )
    pipeline.publish(event)
    accepted = pipeline.records_for(pipeline.names.events("dossier"), code, 1)
    assert dict(accepted[0].headers)["ce_id"] == event.id.encode()
    state = pipeline.dossier_state(code, lambda s: s["status"] == 1)
    assert state["procedure"] == "1.001193"
