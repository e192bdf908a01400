"""Citizen support end to end, on the real broker, worker, API and connectors.

A citizen asks about a late dossier; the Department of Justice finds the request in its
inbox and answers through the API; the citizen's live page shows the answer and an e-mail
arrives at a real SMTP server on 127.0.0.1. A reminder goes out before a supplement is due.
Bad input: an unknown dossier goes to the helpdesk with a note; an SMS gateway that keeps
failing dead-letters the SMS while the e-mail still goes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from pydantic import SecretStr

from connectors.config import parse_config
from connectors.peers.sms import DEFAULT_KEY, SmsPeer
from connectors.peers.smtp import SmtpPeer
from connectors.runtime import OutboundConnector
from hub_api.app import create_app
from hub_settings import ApiSettings
from schemas import KafkaMessage
from schemas.rejects import split_rejected
from schemas.support_topics import notification_channel
from tests.integration.api_support import KEYS, _credentials, free_port
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import JUSTICE, ONE_STOP, Pipeline

pytestmark = pytest.mark.integration
HELPDESK = ONE_STOP  # 000.00.14.H56, the Public Administration Service Center
EMAIL = "hong.le@example.vn"
PROC: dict[str, Any] = {"procedure_code": "2.000488"}  # phiếu lý lịch tư pháp, Sở Tư pháp


@dataclass
class Hub:
    pipeline: Pipeline
    url: str
    smtp: SmtpPeer
    sms: SmsPeer

    def agency(self) -> dict[str, str]:
        return {"X-API-Key": KEYS["agency"]}  # an API key of the Department of Justice


def _connector(pipeline: Pipeline, channel: str, target: dict[str, Any], request: dict[str, Any],
               workdir: Path) -> OutboundConnector:  # fmt: skip
    raw = {
        "name": f"{channel}-notifications",
        "agency": ONE_STOP,
        "key": {"file": "unused.pem"},
        "outbound": {
            "source": notification_channel(pipeline.settings.topic_prefix, channel),
            "events": ["vn.gov.thanhhoa.support.notification"],
            "target": target,
            "request": request,
            "retry": {"attempts": 2, "initial_s": 0.1, "max_s": 0.2, "jitter_s": 0},
            "breaker": {"failures": 50, "open_s": 0.1},
        },
    }
    config = parse_config(yaml.safe_dump(raw, allow_unicode=True), base_dir=workdir)
    return OutboundConnector(config, pipeline.settings, pipeline.codec, pipeline.signers[ONE_STOP])


@pytest.fixture(scope="module")
def hub(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    workdir = tmp_path_factory.mktemp("support")
    api = ApiSettings(
        host="127.0.0.1",
        port=free_port(),
        credentials_file=_credentials(workdir / "credentials.json"),
        lookup_secret=SecretStr("support-lookup-secret"),
    )
    settings = pipeline.settings.model_copy(update={"api": api})
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=api.port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    with SmtpPeer() as smtp, SmsPeer() as sms:
        connectors = [
            _connector(
                pipeline,
                "email",
                {"kind": "smtp", "port": smtp.port, "sender": "no-reply@dichvucong.gov.vn"},
                {"to": "data.recipient", "subject": "data.title", "body": "data.body"},
                workdir,
            ),
            _connector(
                pipeline,
                "sms",
                {"kind": "rest", "url": f"{sms.url}/api/sms/send", "headers": {
                    "ApiKey": DEFAULT_KEY}, "success": {"field": "CodeResult", "values": ["100"]}},
                {"Phone": "data.recipient", "Content": "data.body",
                 "Brandname": {"const": "THANHHOA"}},
                workdir,
            ),
        ]  # fmt: skip
        runners = [threading.Thread(target=c.run, daemon=True) for c in connectors]
        for runner in runners:
            runner.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.05)
        try:
            yield Hub(pipeline, f"http://127.0.0.1:{api.port}", smtp, sms)
        finally:
            for connector in connectors:
                connector.stop.set()
            for runner in runners:
                runner.join(timeout=15)
            server.should_exit = True
            thread.join(timeout=15)


def wait_for(check: Callable[[], Any], timeout_s: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def late_dossier(pipeline: Pipeline, **form: Any) -> str:
    """A criminal-record dossier accepted 30 days ago, so it is overdue, with contacts."""
    code = dossier_code(ONE_STOP)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    applicant = {"kind": "CITIZEN", "full_name": "Lê Thị Hồng", "phone": "0912345678",
                 "email": EMAIL, "citizen_id": "038190001234"}  # fmt: skip
    pipeline.publish(
        dossier_event("DossierSubmitted", ONE_STOP, code, receiving_agency_id=ONE_STOP,
                      submitted_at=long_ago, applicant=applicant, form_fields=form, **PROC),
        dossier_event("DossierAccepted", JUSTICE, code, accepted_at=long_ago, **PROC),
        dossier_event("DossierStatusChanged", JUSTICE, code, status=4, changed_at=long_ago,
                      **PROC),
    )  # fmt: skip
    pipeline.dossier_state(code, lambda s: s["status"] == 4 and s["overdue_emitted"])
    return code


def types_for(records: list[KafkaMessage], subject: str) -> list[str]:
    return [
        dict(r.headers)["ce_type"].decode().rsplit(".", 1)[1]
        for r in records
        if r.key == subject.encode()
    ]


class Live:
    """Reads an SSE stream in a thread and keeps the ``data:`` of each ``state`` frame."""

    def __init__(self, url: str) -> None:
        self.frames: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()

    def _read(self, url: str) -> None:
        with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=90)) as response:
            event = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "state":
                    self.frames.append(json.loads(line.removeprefix("data: ")))
                    if self.frames[-1]["answers"]:
                        return


def test_citizen_asks_about_a_late_dossier_and_gets_the_answer(hub: Hub) -> None:
    pipeline = hub.pipeline
    code = late_dossier(pipeline)
    asked = httpx.post(
        f"{hub.url}/v1/support/requests",
        json={"question": "Hồ sơ lý lịch tư pháp của tôi đã quá hạn, khi nào có kết quả?",
              "dossier_code": code, "contact_name": "Lê Thị Hồng", "contact_email": EMAIL},
    )  # fmt: skip
    assert asked.status_code == 202, asked.text
    request_id, token = asked.json()["request_id"], asked.json()["lookup_token"]
    live = Live(f"{hub.url}/v1/support/requests/{request_id}/live?token={token}")

    inbox = pipeline.read(
        pipeline.names.inbox(JUSTICE),
        lambda rs: {"requested", "assigned"} <= set(types_for(rs, code)),
    )
    assert types_for(inbox, code)[0] == "submitted"
    mine = wait_for(
        lambda: [
            r
            for r in httpx.get(f"{hub.url}/v1/support/inbox", headers=hub.agency()).json()
            if r["request_id"] == request_id
        ],
        what="the request in the agency's API inbox",
    )
    assert mine[0]["reason"] == "dossier"
    assert mine[0]["contact_email"] == EMAIL

    answer = "Hồ sơ đang chờ ký duyệt; kết quả trả ngày mai. Xin lỗi vì sự chậm trễ."
    answered = httpx.post(
        f"{hub.url}/v1/support/requests/{request_id}/answer",
        json={"answer": answer},
        headers=hub.agency(),
    )
    assert answered.status_code == 202, answered.text

    frames = wait_for(lambda: [f for f in live.frames if f["answers"]], what="the live answer")
    assert frames[-1]["answers"][0]["answer"] == answer
    assert frames[-1]["status"] == "answered"
    mails = hub.smtp.wait_for(lambda m: request_id in str(m["Subject"]))
    assert mails[0]["To"] == EMAIL
    assert answer in _text(mails[0])

    stats = httpx.get(f"{hub.url}/v1/support/stats", headers=hub.agency()).json()
    assert stats[0]["agency_id"] == JUSTICE
    assert stats[0]["answered"] >= 1

    found = httpx.get(f"{hub.url}/v1/procedures/search", params={"q": "khai sinh"}).json()
    assert found[0]["code"] == "1.001193"


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    return body.get_content() if body is not None else ""


def test_reminder_before_the_supplement_deadline(hub: Hub) -> None:
    pipeline = hub.pipeline
    code = late_dossier(pipeline, notify_channels="email")
    due = datetime.now(UTC) + timedelta(hours=3)
    pipeline.publish(
        dossier_event("SupplementRequested", JUSTICE, code, respond_by=due, **PROC),
    )
    requested = hub.smtp.wait_for(
        lambda m: code in _text(m) and "bổ sung" in str(m["Subject"]).lower()
    )
    reminders = hub.smtp.wait_for(
        lambda m: code in _text(m) and str(m["Subject"]) == "Nhắc hạn bổ sung hồ sơ"
    )
    assert requested
    assert len(reminders) == 1
    time.sleep(3)  # several timer rounds later: still one reminder
    assert len([m for m in hub.smtp.messages() if m["Subject"] == reminders[0]["Subject"]
                and code in _text(m)]) == 1  # fmt: skip
    assert not [m for m in hub.sms.messages() if code in str(m.get("Content"))]  # email only


def test_unknown_dossier_goes_to_the_helpdesk_and_a_down_sms_gateway_dead_letters(
    hub: Hub,
) -> None:
    pipeline = hub.pipeline
    unknown = "000.00.06.H56-990101-0001"
    asked = httpx.post(
        f"{hub.url}/v1/support/requests",
        json={"question": "Mã hồ sơ này là của ai?", "dossier_code": unknown,
              "contact_name": "Nguyễn Văn B", "contact_phone": "0987654321"},
    )  # fmt: skip
    assert asked.status_code == 202
    helpdesk = pipeline.records_for(pipeline.names.inbox(HELPDESK), unknown, 2)
    requested = next(r for r in helpdesk if b"support.requested" in dict(r.headers)["ce_type"])
    note = pipeline.codec.decode(requested).data["note"]
    assert note == f"unknown dossier code {unknown}"

    hub.sms.set_mode("fail")  # the gateway answers 503 to everything
    try:
        code = late_dossier(pipeline)  # sms + email: the overdue notice goes to both
        mails = hub.smtp.wait_for(lambda m: code in _text(m))
        assert mails

        def mine(records: list[KafkaMessage]) -> list[Any]:
            return [
                why
                for original, why in map(split_rejected, records)
                if original.key == code.encode()
            ]

        records = pipeline.read(pipeline.names.deadletter, lambda rs: bool(mine(rs)), 90)
        assert mine(records)[0].reason == "retries-exhausted"
    finally:
        hub.sms.set_mode("ok")
