"""Dossiers through the real pipeline: routing, linked procedures, timeline, due dates
(across Tết 2026 and a make-up Saturday), overdue detection, bad events, restarts."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub_settings import HubSettings
from schemas import KafkaMessage
from tests.support.dossiers import (
    dossier_code,
    dossier_event,
    records_now,
    wait_until_tracking,
)
from tests.support.pipeline import (
    HAC_THANH,
    JUSTICE,
    ONE_STOP,
    POLICE,
    SOCIAL_INSURANCE,
    Pipeline,
    build_pipeline,
)

pytestmark = pytest.mark.integration
VN = ZoneInfo("Asia/Ho_Chi_Minh")
CITIZEN_PORTAL = "citizen-portal"
NATIONAL_SYNC = "national-portal-sync"
FAST_GROUP_ENV = {"HUB_STREAMS_SESSION_TIMEOUT_S": "10", "HUB_STREAMS_HEARTBEAT_INTERVAL_S": "1"}
"""A SIGKILLed worker leaves the group after 10 s (the hub's default is 30 s)."""


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)  # type: ignore[misc]


def types_in(records: list[KafkaMessage]) -> list[str]:
    return [dict(r.headers)["ce_type"].decode().rsplit(".", 2)[-1] for r in records]


def statuses(state: dict[str, Any]) -> list[int]:
    return [e["status"] for e in state["timeline"] if e["type"] in ("submitted", "status")]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_simple_procedure_routed_tracked_and_due_after_tet(pipeline: Pipeline) -> None:
    code = dossier_code(ONE_STOP)
    proc = {"procedure_code": "2.000488"}  # phiếu lý lịch tư pháp, Sở Tư pháp, 10 working days
    pipeline.publish(
        dossier_event(
            "DossierSubmitted",
            ONE_STOP,
            code,
            receiving_agency_id=ONE_STOP,
            submitted_at=vn(2026, 2, 10, 8, 30),
            **proc,
        ),
        dossier_event("DossierAccepted", JUSTICE, code, accepted_at=vn(2026, 2, 10, 9), **proc),
        dossier_event(
            "DossierStatusChanged",
            JUSTICE,
            code,
            status=4,
            changed_at=vn(2026, 2, 10, 9, 30),
            **proc,
        ),
        dossier_event(
            "SupplementRequested", JUSTICE, code, requested_at=vn(2026, 2, 11, 9), **proc
        ),
        dossier_event("SupplementReceived", ONE_STOP, code, received_at=vn(2026, 2, 12, 9), **proc),
        dossier_event("ResultIssued", JUSTICE, code, issued_at=vn(2026, 3, 1, 10), **proc),
        dossier_event(
            "DossierStatusChanged", ONE_STOP, code, status=10, changed_at=vn(2026, 3, 2, 10), **proc
        ),
    )
    state = pipeline.dossier_state(code, lambda s: s["status"] == 10)
    assert statuses(state) == [1, 2, 4, 5, 4, 9, 10]
    assert state["responsible_agency"] == JUSTICE
    # 10 working days from Tue 10 Feb 09:00 skip Tết (14-22 Feb) and the one day spent
    # waiting for the applicant's supplement (11 -> 12 Feb): due Wed 4 March 09:00.
    assert at(state["due_at"]) == vn(2026, 3, 4, 9)
    assert [w["status"] for w in state["waiting"]] == [5]

    justice = pipeline.records_for(pipeline.names.inbox(JUSTICE), code, 2)
    assert types_in(justice)[:2] == ["submitted", "supplement_received"]
    portal = pipeline.records_for(pipeline.names.inbox(CITIZEN_PORTAL), code, 5)
    assert {"accepted", "status_changed", "supplement_requested", "result_issued"} <= set(
        types_in(portal)
    )
    national = pipeline.records_for(pipeline.names.inbox(NATIONAL_SYNC), code, 6)
    assert "supplement_received" in types_in(national)


def test_make_up_saturday_counts_as_a_working_day(pipeline: Pipeline) -> None:
    code = dossier_code(HAC_THANH)
    proc = {"procedure_code": "1.900013"}  # household business registration, 3 working days
    pipeline.publish(
        dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH, **proc),
        dossier_event("DossierAccepted", HAC_THANH, code, accepted_at=vn(2026, 8, 20, 16), **proc),
    )
    state = pipeline.dossier_state(code, lambda s: s["status"] == 2)
    # Thu 20 Aug 16:00 + 3 working days: Fri 21, Sat 22 (worked in exchange for Mon 31
    # Aug), Mon 24 -> due Mon 24 Aug 16:00 (Tue 25 without the make-up Saturday).
    assert at(state["due_at"]) == vn(2026, 8, 24, 16)


def test_linked_procedure_moves_from_agency_to_agency(pipeline: Pipeline) -> None:
    code = dossier_code(HAC_THANH)
    proc = {"procedure_code": "1.900101"}  # khai sinh + thường trú + thẻ BHYT (liên thông)
    submitted = dossier_event(
        "DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH, **proc
    )
    pipeline.publish(
        submitted,
        dossier_event("DossierAccepted", HAC_THANH, code, **proc),
        dossier_event("ResultIssued", HAC_THANH, code, **proc),
    )
    police = pipeline.records_for(pipeline.names.inbox(POLICE), code, 2)
    assert "submitted" in types_in(police)  # the submission is forwarded to the next step
    pipeline.publish(dossier_event("ResultIssued", POLICE, code, **proc))
    social = pipeline.records_for(pipeline.names.inbox(SOCIAL_INSURANCE), code, 2)
    forwarded = next(r for r in social if dict(r.headers)["ce_type"].endswith(b"submitted"))
    assert dict(forwarded.headers)["ce_id"] == submitted.id.encode()  # unchanged, still signed
    pipeline.publish(
        dossier_event("ResultIssued", SOCIAL_INSURANCE, code, **proc),
        dossier_event("DossierStatusChanged", HAC_THANH, code, status=10, **proc),
    )
    state = pipeline.dossier_state(code, lambda s: s["status"] == 10)
    assert [s["state"] for s in state["steps"]] == ["done", "done", "done"]
    assert [s["agency"] for s in state["steps"]] == [HAC_THANH, POLICE, SOCIAL_INSURANCE]
    routed = [
        r
        for r in pipeline.records_for(pipeline.names.events("dossier"), code, 9)
        if dict(r.headers)["ce_type"].endswith(b"routed")
    ]
    decoded = [pipeline.codec.decode(r).data for r in routed]
    assert [(d["to_agency_id"], d["linked_step"]) for d in decoded] == [
        (HAC_THANH, 0),
        (POLICE, 1),
        (SOCIAL_INSURANCE, 2),
    ]


def test_overdue_dossier_emits_one_overdue_event(pipeline: Pipeline) -> None:
    code = dossier_code(ONE_STOP)
    proc = {"procedure_code": "2.000488"}
    pipeline.publish(
        dossier_event("DossierSubmitted", ONE_STOP, code, receiving_agency_id=ONE_STOP, **proc),
        dossier_event("DossierAccepted", JUSTICE, code, accepted_at=vn(2026, 1, 5, 9), **proc),
    )
    state = pipeline.dossier_state(code, lambda s: s["overdue_emitted"])
    assert "overdue" in [e["type"] for e in state["timeline"]]
    portal = pipeline.records_for(pipeline.names.inbox(CITIZEN_PORTAL), code, 2)
    assert "overdue" in types_in(portal)
    time.sleep(3)  # three more overdue scans
    events = pipeline.records_for(pipeline.names.events("dossier"), code, 3)
    assert types_in(events).count("overdue") == 1


def test_bad_lifecycle_events_are_quarantined_not_delivered(pipeline: Pipeline) -> None:
    code = dossier_code(HAC_THANH)
    proc = {"procedure_code": "1.001193"}
    early_result = dossier_event("ResultIssued", HAC_THANH, code, **proc)
    pipeline.publish(
        dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH, **proc),
        early_result,
    )
    rejected = pipeline.quarantined(early_result.id)
    assert rejected["hub_reject_reason"] == "illegal_transition"
    assert "out-of-order" in rejected["hub_reject_detail"]

    never = dossier_code(HAC_THANH)
    orphan = dossier_event("DossierStatusChanged", HAC_THANH, never, status=4, **proc)
    unknown = dossier_event(
        "DossierSubmitted",
        HAC_THANH,
        dossier_code(HAC_THANH),
        receiving_agency_id=HAC_THANH,
        procedure_code="9.999999",
    )
    pipeline.publish(orphan, unknown)
    assert pipeline.quarantined(orphan.id)["hub_reject_detail"].startswith("unknown-dossier")
    assert pipeline.quarantined(unknown.id)["hub_reject_reason"] == "unknown_procedure"

    accepted = dossier_event("DossierAccepted", HAC_THANH, code, **proc)
    pipeline.publish(accepted)
    portal = pipeline.records_for(pipeline.names.inbox(CITIZEN_PORTAL), code, 2)
    delivered = [dict(r.headers)["ce_id"] for r in portal]
    assert accepted.id.encode() in delivered
    assert early_result.id.encode() not in delivered  # quarantined, so never delivered


def test_dossier_table_survives_a_worker_restart(pipeline: Pipeline) -> None:
    code = dossier_code(HAC_THANH)
    proc = {"procedure_code": "1.900013"}
    pipeline.publish(
        dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH, **proc),
        dossier_event("DossierAccepted", HAC_THANH, code, **proc),
    )
    pipeline.dossier_state(code, lambda s: s["status"] == 2)
    worker = pipeline.workers.pop()
    worker.stop()
    pipeline.start_worker("worker-restarted")
    pipeline.publish(dossier_event("DossierStatusChanged", HAC_THANH, code, status=4, **proc))
    state = pipeline.dossier_state(code, lambda s: s["status"] == 4)
    assert statuses(state) == [1, 2, 4]


def test_overdue_emitted_and_delivered_once_across_a_worker_sigkill(
    settings: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILLed once it has delivered DossierOverdue and recorded that (most likely before
    the offset commit), the worker restarts, re-reads the event and scans again: still one
    on the events topic and one in each inbox, and the dossier goes on. A private hub, so
    that killing its worker disturbs no other test."""
    for name, value in FAST_GROUP_ENV.items():
        monkeypatch.setenv(name, value)  # inherited by the workers started below
    hub = build_pipeline(settings, tmp_path)
    try:
        first = hub.start_worker("overdue-worker-1")
        proc = {"procedure_code": "2.000488"}
        wait_until_tracking(hub, ONE_STOP, proc["procedure_code"])
        code = dossier_code(ONE_STOP)
        hub.publish(
            dossier_event("DossierSubmitted", ONE_STOP, code, receiving_agency_id=ONE_STOP, **proc),
            dossier_event("DossierAccepted", JUSTICE, code, accepted_at=vn(2026, 1, 5, 9), **proc),
        )
        # Killed between an inbox send and its record, the delivery would repeat (that is
        # at-least-once); once the hub has recorded it, it must not.
        delivered = f"{hub.settings.streams.app_id}-overdue-changelog"
        hub.read(delivered, lambda rs: any(code.encode() in (r.key or b"") for r in rs))
        first.kill()
        hub.workers.remove(first)
        second = hub.start_worker("overdue-worker-2")
        second.wait_for("overdue detection on", timeout_s=30)
        hub.publish(dossier_event("DossierStatusChanged", JUSTICE, code, status=4, **proc))
        state = hub.dossier_state(code, lambda s: s["status"] == 4)
        time.sleep(3)  # three more overdue scans by the restarted worker
        assert statuses(state) == [1, 2, 4]  # nothing lost
        assert [e["type"] for e in state["timeline"]].count("overdue") == 1
        events = types_in(records_now(hub, hub.names.events("dossier"), code))
        assert events.count("overdue") == 1
        assert {"submitted", "accepted", "status_changed"} <= set(events)
        agency = types_in(records_now(hub, hub.names.inbox(JUSTICE), code))
        assert agency.count("overdue") == 1
        portal = types_in(records_now(hub, hub.names.inbox(CITIZEN_PORTAL), code))
        assert portal.count("overdue") == 1
        assert "status_changed" in portal
    finally:
        hub.close()
