"""A support request nobody answers in time: one SupportOverdue, into the agency's inbox.

On the real broker and the session's stream worker. The request is written to
``hub.support.commands`` as the API writes it, but stamped 30 days ago, so its response
deadline (a few working days, counted from the request) has passed whatever the time of
day: the worker's timer (every ``overdue_scan_interval_s``) must report it exactly once,
however many rounds run, and not report a request asked just now.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from registry.support import new_request_id
from schemas import CloudEvent, KafkaMessage
from schemas.examples import example_data
from schemas.support_topics import support_commands, support_state
from tests.support.dossiers import records_now
from tests.support.pipeline import HUB, JUSTICE, Pipeline

pytestmark = pytest.mark.integration
S = "vn.gov.thanhhoa.support"
OVERDUE = f"{S}.overdue"


def ask(pipeline: Pipeline, asked_at: datetime) -> str:
    """A question about criminal records (Sở Tư pháp answers it) asked at ``asked_at``."""
    request_id = new_request_id(asked_at)
    data = {
        **example_data("SupportRequested"),
        "request_id": request_id,
        "dossier_code": None,
        "procedure_code": "2.000488",  # phiếu lý lịch tư pháp
        "question": "Làm phiếu lý lịch tư pháp số 2 cần những giấy tờ gì?",
        "requested_at": asked_at,
    }
    command = CloudEvent(f"{S}.requested", pipeline.settings.agency_id, request_id, data,
                         id=str(uuid.uuid4()))  # fmt: skip
    pipeline.send(
        [pipeline.codec.encode(command)], support_commands(pipeline.settings.topic_prefix)
    )
    return request_id


def ce_type(record: KafkaMessage) -> str:
    return dict(record.headers)["ce_type"].decode()


def test_an_unanswered_request_past_its_deadline_is_reported_once(pipeline: Pipeline) -> None:
    now = datetime.now(UTC)
    late = ask(pipeline, now - timedelta(days=30))
    fresh = ask(pipeline, now)
    inbox = pipeline.names.inbox(JUSTICE)

    found = pipeline.records_for(inbox, late, 3)  # requested, assigned, overdue
    assert [ce_type(r).rsplit(".", 1)[1] for r in found] == ["requested", "assigned", "overdue"]
    overdue = pipeline.codec.decode(found[2])
    assert overdue.source == HUB  # hub-signed, like every support event
    assert overdue.data["request_id"] == late
    assert overdue.data["agency_id"] == JUSTICE
    assert overdue.data["respond_by"] < overdue.data["detected_at"]
    assert overdue.data["overdue_working_days"] >= 10  # 30 days ago, 5 working days to answer

    time.sleep(4 * pipeline.settings.streams.overdue_scan_interval_s + 2)  # more timer rounds
    for topic in (inbox, pipeline.names.events("support")):
        reported = [r for r in records_now(pipeline, topic, late) if ce_type(r) == OVERDUE]
        assert [pipeline.codec.decode(r).id for r in reported] == [overdue.id], topic
    prefix = pipeline.settings.topic_prefix
    state = json.loads(records_now(pipeline, support_state(prefix), late)[-1].value)
    assert (state["status"], state["overdue_emitted"]) == ("assigned", True)

    assert len(records_now(pipeline, inbox, fresh)) == 2  # requested, assigned: not late
