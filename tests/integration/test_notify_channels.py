"""Each notification channel through its shipped connector, to a real peer on 127.0.0.1.

The SMS, e-mail and push connectors are built from ``connectors/examples/{sms,email,push}
.yaml`` as shipped (only the peer's address, this pipeline's channel topic, faster retries
and, for SMS, a 3 s bound on waiting for a dead gateway instead of two minutes) and read
what the session's stream worker dispatches. An SMS arrives once, in the applicant's
language; a push goes to an applicant who prefers push; an SMS gateway that is really down
(socket closed) dead-letters the SMS as ``peer-unavailable`` while the e-mail of the same
event goes, and the next SMS is delivered once the gateway is back.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

import connectors
from connectors.config import ConnectorConfig, load_config, parse_config
from connectors.peers import PushPeer, SmsPeer
from connectors.peers.smtp import SmtpPeer
from connectors.runtime import OutboundConnector
from schemas import CloudEvent, KafkaMessage
from schemas.rejects import Rejection, split_rejected
from schemas.support_topics import notification_channel
from streams.notify_rules import dossier_messages, notification_data, notification_id
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import JUSTICE, ONE_STOP, Pipeline

pytestmark = pytest.mark.integration
EXAMPLES = Path(connectors.__file__).parent / "examples"
PROC: dict[str, Any] = {"procedure_code": "2.000488"}  # phiếu lý lịch tư pháp, Sở Tư pháp
SMS_KEY, PUSH_TOKEN = "sms-key-for-tests", "push-token-for-tests"
UNAVAILABLE_MAX_S = 3.0  # the SMS bound in these tests (the shipped one is 120 s)
FAST = {"initial_s": 0.1, "max_s": 0.5, "jitter_s": 0}


@dataclass
class Channels:
    """The peers of the three channels and the connectors delivering to them."""

    pipeline: Pipeline
    sms: SmsPeer
    smtp: SmtpPeer
    push: PushPeer
    connectors: dict[str, OutboundConnector]

    def drained(self, channel: str, timeout_s: float = 60.0) -> None:
        """Wait until the channel's connector has settled every record of its topic."""
        connector = self.connectors[channel]
        config = self.pipeline.settings.kafka_client_config()
        admin, consumer = KafkaAdminClient(**config), KafkaConsumer(**config)
        try:
            tps = [TopicPartition(connector.topic, p)
                   for p in consumer.partitions_for_topic(connector.topic) or ()]  # fmt: skip
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                ends = consumer.end_offsets(tps)
                done = admin.list_group_offsets({connector.group: tps})[connector.group]
                if all(end == 0 or (tp in done and done[tp].offset >= end)
                       for tp, end in ends.items()):  # fmt: skip
                    return
                time.sleep(0.2)
        finally:
            admin.close()
            consumer.close()
        raise AssertionError(f"the {channel} connector did not catch up in {timeout_s}s")


def example(name: str, pipeline: Pipeline, run: str, **changes: Any) -> ConnectorConfig:
    """``connectors/examples/<name>.yaml`` on this pipeline's channel topic, ``changes`` applied
    to its outbound target (``url``, ``port``) and ``retry``."""
    shipped = load_config(EXAMPLES / f"{name}.yaml")
    assert shipped.outbound is not None
    raw: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    outbound = raw["outbound"]
    channel = outbound["source"].rsplit(".", 1)[1]  # hub.notifications.<channel>
    raw["name"] = f"{raw['name']}-{run}"  # its own consumer group in the session
    outbound["source"] = notification_channel(pipeline.settings.topic_prefix, channel)
    outbound["target"].update(changes.pop("target", {}))
    outbound["retry"] = {**outbound["retry"], **FAST, **changes.pop("retry", {})}
    return parse_config(yaml.safe_dump(raw, allow_unicode=True))


def _run(connectors: list[OutboundConnector]) -> list[threading.Thread]:
    runners = [threading.Thread(target=c.run, daemon=True) for c in connectors]
    for runner in runners:
        runner.start()
    return runners


@pytest.fixture(scope="module")
def channels(pipeline: Pipeline) -> Iterator[Channels]:
    run = uuid.uuid4().hex[:6]
    with (
        pytest.MonkeyPatch.context() as env,
        SmsPeer(api_key=SMS_KEY) as sms,
        SmtpPeer() as smtp,
        PushPeer(token=PUSH_TOKEN) as push,
    ):
        env.setenv("SMS_API_KEY", SMS_KEY)  # the names the shipped examples read
        env.setenv("PUSH_TOKEN", PUSH_TOKEN)
        configs = {
            "sms": example("sms", pipeline, run, target={"url": f"{sms.url}/api/sms/send"},
                           retry={"unavailable_max_s": UNAVAILABLE_MAX_S}),
            "email": example("email", pipeline, run, target={"port": smtp.port}),
            "push": example("push", pipeline, run, target={"url": push.describe()["send_url"]}),
        }  # fmt: skip
        signer = pipeline.signers[ONE_STOP]
        found = {name: OutboundConnector(c, pipeline.settings, pipeline.codec, signer)
                 for name, c in configs.items()}  # fmt: skip
        runners = _run(list(found.values()))
        hub = Channels(pipeline, sms, smtp, push, found)
        try:
            for name in found:  # earlier tests' notifications first, with every peer up
                hub.drained(name)
            yield hub
        finally:
            for connector in found.values():
                connector.stop.set()
            for runner in runners:
                runner.join(timeout=15)


def accepted_dossier(pipeline: Pipeline, phone: str, **form: Any) -> tuple[str, CloudEvent]:
    """A criminal-record dossier submitted and accepted now; its code and the acceptance
    (the source of the applicant's "accepted" notification, with the due date it states)."""
    code = dossier_code(ONE_STOP)
    now = datetime.now(UTC)
    applicant = {"kind": "CITIZEN", "full_name": "Lê Thị Hồng", "phone": phone,
                 "email": f"{code}@example.vn", "citizen_id": "038190001234"}  # fmt: skip
    accepted = dossier_event("DossierAccepted", JUSTICE, code, accepted_at=now,
                             due_at=now + timedelta(days=14), **PROC)  # fmt: skip
    pipeline.publish(
        dossier_event("DossierSubmitted", ONE_STOP, code, receiving_agency_id=ONE_STOP,
                      submitted_at=now, applicant=applicant, form_fields=form, **PROC),
        accepted,
    )  # fmt: skip
    return code, accepted


def wait_for(check: Callable[[], list[Any]], what: str, timeout_s: float = 60.0) -> list[Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def sms_for(hub: Channels, code: str) -> list[dict[str, Any]]:
    return [m for m in hub.sms.messages() if m.get("DossierCode") == code]


def mail_text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    return body.get_content() if body is not None else ""


def expected_sms(code: str, due: datetime, language: str) -> str:
    """The text streams.notify sends by SMS for the acceptance of ``code`` (pure rules)."""
    data = {"dossier_code": code, "due_at": due}
    [(kind, title, body)] = dossier_messages("vn.gov.thanhhoa.dossier.accepted", data, language)
    made = notification_data(
        kind=kind,
        channel="sms",
        recipient="",
        language=language,
        title=title,
        body=body,
        source_event_id="",
        created_at=due,
    )
    return str(made["body"])


def test_the_shipped_sms_bound_suits_a_reminder() -> None:
    """An SMS an hour late is worthless: the shipped SMS and push connectors wait minutes
    for a dead peer, e-mail the runtime's 15 minutes."""
    bounds = {}
    for name in ("sms", "push", "email"):
        outbound = load_config(EXAMPLES / f"{name}.yaml").outbound
        assert outbound is not None
        bounds[name] = outbound.retry.unavailable_max_s
    assert 60 <= bounds["sms"] <= 120
    assert 60 <= bounds["push"] <= 120
    assert bounds["email"] == 900


def test_an_sms_is_delivered_once_in_the_applicants_language(channels: Channels) -> None:
    phone = "0987123456"
    code, accepted = accepted_dossier(
        channels.pipeline, phone, notify_channels="sms", notify_language="en"
    )
    [sms] = wait_for(lambda: sms_for(channels, code), "the SMS")
    channels.drained("sms")
    assert len(sms_for(channels, code)) == 1
    assert (sms["Phone"], sms["Brandname"]) == (phone, "THANHHOA")
    assert sms["Content"].startswith(f"Accepted: Dossier {code} has been accepted. Due: ")
    # the due date the agency stated on acceptance (the tracked one may differ by working
    # hours: at lunch time, 14 days from now ends at 11:30 in the tracking table)
    assert sms["Content"] == expected_sms(code, accepted.data["due_at"], "en")
    assert sms["IdempotencyKey"] == notification_id(accepted.id, "sms", "status_changed")
    channels.drained("email")
    assert not [m for m in channels.smtp.messages() if code in mail_text(m)]  # sms only


def test_a_push_goes_to_an_applicant_who_prefers_push(channels: Channels) -> None:
    device = f"vneid-{uuid.uuid4().hex[:12]}"
    code, accepted = accepted_dossier(
        channels.pipeline, "0912000111", notify_channels="push", push_device=device
    )
    [push] = wait_for(lambda: channels.push.messages(device), "the push")
    channels.drained("push")
    assert len(channels.push.messages(device)) == 1
    assert push["title"] == "Đã tiếp nhận"
    assert push["body"].startswith(f"Hồ sơ {code} đã được tiếp nhận.")
    assert push["data"] == {"kind": "status_changed", "language": "vi", "dossier_code": code,
                            "support_request_id": ""}  # fmt: skip
    assert push["idempotency_key"] == notification_id(accepted.id, "push", "status_changed")
    channels.drained("sms")
    channels.drained("email")
    assert sms_for(channels, code) == []  # has a phone and an e-mail, but chose push
    assert not [m for m in channels.smtp.messages() if code in mail_text(m)]


def dead_lettered(hub: Channels, code: str) -> list[tuple[KafkaMessage, Rejection]]:
    records = hub.pipeline.read(
        hub.pipeline.names.deadletter,
        lambda rs: any(split_rejected(r)[0].key == code.encode() for r in rs),
        timeout_s=90,
    )
    return [(o, why) for o, why in map(split_rejected, records) if o.key == code.encode()]


def test_a_stopped_sms_gateway_dead_letters_and_the_email_still_goes(channels: Channels) -> None:
    pipeline = channels.pipeline
    channels.drained("sms")  # nothing of earlier tests waits behind the dead gateway
    channels.sms.stop()  # the socket is closed: connections are refused
    try:
        started = time.monotonic()
        code, _ = accepted_dossier(pipeline, "0911222333", notify_channels="sms,email")
        mails = channels.smtp.wait_for(lambda m: code in mail_text(m))
        assert [m["To"] for m in mails] == [f"{code}@example.vn"]
        [(original, why)] = dead_lettered(channels, code)
        assert time.monotonic() - started >= UNAVAILABLE_MAX_S
    finally:
        channels.sms.start()  # back on the same port
    assert why.reason == "peer-unavailable"
    assert why.stage == f"connector:{channels.connectors['sms'].config.name}"
    notification = pipeline.codec.decode(original)
    assert (notification.data["channel"], notification.data["recipient"]) == ("sms", "0911222333")

    pipeline.publish(
        dossier_event("DossierStatusChanged", JUSTICE, code, status=4, **PROC)
    )  # the next SMS of this dossier goes once the gateway is back; the first is not resent
    [sms] = wait_for(lambda: sms_for(channels, code), "the SMS after the gateway is back")
    assert re.match(rf"Cập nhật hồ sơ: Hồ sơ {re.escape(code)} đang được xử lý\.$", sms["Content"])
    channels.drained("sms")
    assert len(sms_for(channels, code)) == 1
