"""Scenario 8: a stream worker is killed while it turns dossier events into e-mails.

The applicants ask for e-mail; the notify agent makes one notification per (event, kind,
channel) with a deterministic id, dispatch forwards it to the e-mail channel, and the
e-mail connector sends it to a real SMTP server on 127.0.0.1 with the id as Message-ID.
After the kill, the successor re-reads what was not committed: the channel topic may
repeat a notification (at-least-once), the mailbox must not (the connector's ledger), and
none may be missing.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace

import pytest
import yaml

from connectors.config import parse_config
from connectors.peers.smtp import SmtpPeer
from connectors.runtime import OutboundConnector
from hub_settings import HubSettings
from schemas import CloudEvent
from schemas.support_topics import notification_channel
from streams.notify_rules import dossier_messages, notification_id
from tests.faults.checker import (
    Checker,
    Model,
    Sender,
    TopicReader,
    Traffic,
    lifecycle,
    start_worker,
    wait_until,
)
from tests.support.pipeline import ONE_STOP, Pipeline

pytestmark = pytest.mark.integration

DOSSIERS = 40  # 240 signed events, 200 e-mails


def with_email(code: str) -> list[CloudEvent]:
    """A lifecycle whose applicant gave an e-mail address and asked to be told by e-mail."""
    events = lifecycle(code)
    submitted = events[0]
    data = {
        **submitted.data,
        "applicant": {"kind": "CITIZEN", "full_name": "Lê Văn An", "phone": "0912345678",
                      "email": f"{code.lower()}@example.vn", "citizen_id": "038190001234"},
        "form_fields": {"notify_channels": "email"},
    }  # fmt: skip
    return [replace(submitted, data=data), *events[1:]]


def expected_ids(model: Model) -> set[str]:
    """The notification ids the plan calls for: one per (event, kind) on the e-mail channel."""
    out = set()
    for sent in model.delivered:
        event = model.events[sent.ce_id]
        for kind, _title, _body in dossier_messages(event.type, event.data, "vi"):
            out.add(notification_id(event.id, "email", kind))
    return out


def email_connector(pipe: Pipeline, port: int) -> OutboundConnector:
    raw = {
        "name": "email-notifications",
        "agency": ONE_STOP,
        "key": {"file": "unused.pem"},
        "outbound": {
            "source": notification_channel(pipe.settings.topic_prefix, "email"),
            "events": ["vn.gov.thanhhoa.support.notification"],
            "target": {"kind": "smtp", "port": port, "sender": "no-reply@dichvucong.gov.vn"},
            "request": {"to": "data.recipient", "subject": "data.title", "body": "data.body"},
            "retry": {"attempts": 4, "initial_s": 0.1, "max_s": 0.5, "jitter_s": 0},
        },
    }
    config = parse_config(yaml.safe_dump(raw, allow_unicode=True), base_dir=pipe.workdir)
    return OutboundConnector(config, pipe.settings, pipe.codec, pipe.signers[ONE_STOP])


def test_worker_sigkill_while_notifying_sends_each_email_once(
    settings: HubSettings, fault_pipeline
) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=7).plan(DOSSIERS, script=with_email)
    model = Model(pipe, plan)
    wanted = expected_ids(model)
    first = start_worker(pipe, "worker-1")
    with (
        SmtpPeer() as smtp,
        Checker(pipe, model, scenario="8 worker SIGKILL while notifying") as checker,
    ):
        connector = email_connector(pipe, smtp.port)
        runner = threading.Thread(target=connector.run, daemon=True)
        runner.start()
        try:
            began = time.monotonic()
            sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=60).start()
            wait_until(lambda: len(smtp.messages()) >= len(wanted) // 4, 90, "first e-mails")
            first.kill()
            killed_at, mailed_at_kill = time.monotonic() - began, len(smtp.messages())
            start_worker(pipe, "worker-2")
            sender.join()
            figures = checker.wait_and_check()

            def ids() -> Counter[str]:
                return Counter(
                    str(m["Message-ID"]).strip("<>").partition("@")[0] for m in smtp.messages()
                )

            settled = wait_until(lambda: set(ids()) >= wanted, 90, "every e-mail")
            time.sleep(2.0)  # a late duplicate would show up here
        finally:
            connector.stop.set()
            runner.join(timeout=15)
    mailed = ids()
    channel = TopicReader(pipe.settings, notification_channel(pipe.settings.topic_prefix, "email"))
    channel.poll()
    channel.close()
    print(
        f"[8] e-mail channel topic: {len(channel.records)} records, "
        f"{len({dict(r.headers)['ce_id'] for r in channel.records})} distinct notifications",
        flush=True,
    )
    print(
        f"[8] e-mails expected {len(wanted)}, received {sum(mailed.values())} "
        f"({len(mailed)} distinct); killed at {killed_at:.1f} s after {mailed_at_kill} e-mails; "
        f"all in {settled:.1f} s after the check",
        flush=True,
    )
    assert figures.delivered == len(model.delivered)
    assert set(mailed) == wanted
    assert [i for i, n in mailed.items() if n > 1] == []
