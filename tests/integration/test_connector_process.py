"""Connectors as real processes: SIGKILL mid-delivery, and onboarding a department by config."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka import KafkaAdminClient

from connectors.cli import main as cli_main
from connectors.peers import CivilStatusPeer, Outcome
from hub_settings import HubSettings
from registry import load_catalog
from registry.model import AgencyKey
from registry.store import RegistryStore
from schemas.message import parse_time
from security import verify_event
from tests.integration.test_connector_outbound import civil_config
from tests.support.connectors import (
    AGENCY,
    PASSPHRASE,
    STATUS_CHANGED,
    Pipeline,
    dossier,
    make_pipeline,
    submitted,
    wait_until,
)
from tests.support.processes import ChildProcess, python_module

pytestmark = pytest.mark.integration


@pytest.fixture
def pipe(
    settings: HubSettings, kafka_admin: KafkaAdminClient, tmp_path: Path
) -> Iterator[Pipeline]:
    yield from make_pipeline(settings, kafka_admin, tmp_path)


def _env(pipe: Pipeline) -> dict[str, str]:
    return {
        "HUB_KAFKA_BOOTSTRAP": pipe.settings.bootstrap,
        "HUB_TOPIC_PREFIX": pipe.settings.topic_prefix,
        "HUB_SCHEMAS_TOPIC": pipe.settings.schemas_topic,
        "TEST_CONNECTOR_PASSPHRASE": PASSPHRASE,
        "TEST_CIVIL_PASSWORD": "s3cret",
    }


def _connector(pipe: Pipeline, config: Path, tmp_path: Path, name: str) -> ChildProcess:
    argv = python_module("connectors.cli", "connector", "run", str(config))
    return ChildProcess(name, argv, _env(pipe), tmp_path).start()


def test_sigkill_mid_delivery_then_restart_no_loss_no_duplicate(
    pipe: Pipeline, tmp_path: Path
) -> None:
    events = [submitted(dossier(n)) for n in range(1, 9)]
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        config = tmp_path / "civil.yaml"
        config.write_text(yaml.safe_dump(civil_config(peer), allow_unicode=True))
        peer.set_mode("slow", delay=0.4)
        pipe.publish_inbox(events)
        first = _connector(pipe, config, tmp_path, "connector-1")
        try:
            wait_until(lambda: len(peer.accepted()) >= 3, 20, "3 deliveries")
            wait_until(lambda: peer.log()[-1].outcome == Outcome.PENDING, 5, "a request in flight")
            in_flight = peer.log()[-1].idempotency_key
            first.kill(signal.SIGKILL)
        finally:
            first.kill()
        peer.set_mode("ok")
        second = _connector(pipe, config, tmp_path, "connector-2")
        try:
            wait_until(lambda: len(peer.accepted()) == 8, 25, "every event at the peer")
            dead = pipe.dead_letters(1)
        finally:
            second.stop()
    keys = [e.idempotency_key for e in peer.accepted("RegisterBirth")]
    assert sorted(keys) == sorted(e.id for e in events)  # no loss, no duplicate
    # the request in flight when killed did reach the peer; the restart did not resend it
    assert [(event_id, why.reason) for event_id, why in dead] == [(in_flight, "in-doubt")]
    assert "ledger" in second.log()


def test_onboarding_a_department_from_a_yaml_file_and_a_key(
    pipe: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1. the department's key pair; the public key goes into the registry
    catalog = load_catalog()
    agency = catalog.agency(AGENCY)
    key = AgencyKey(
        key_id=pipe.public.key_id,
        public_key=pipe.public.public_key_b64,
        valid_from=pipe.public.valid_from,
    )
    with RegistryStore(pipe.settings) as registry:
        registry.apply(catalog)
        registry.put_agency(agency.model_copy(update={"keys": [key]}))
        keys = registry.keys()
    # 2. the department's connector config, written as a new file
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        raw: dict[str, Any] = civil_config(peer)
        raw["name"] = "civil-status-onboarded"
        config = tmp_path / "onboarded.yaml"
        config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
        for name, value in _env(pipe).items():
            monkeypatch.setenv(name, value)
        assert cli_main(["connector", "validate", str(config)]) == 0
        # 3. run it; a routed dossier arrives in the inbox
        child = _connector(pipe, config, tmp_path, "onboarded")
        try:
            event = submitted(dossier(7))
            pipe.publish_inbox([event])
            wait_until(lambda: len(peer.accepted()) == 1, 25, "the first delivery")
            [message] = pipe.read(pipe.topics.ingress, 1)
        finally:
            child.stop()
    reply = pipe.codec.decode(message)
    assert (reply.type, reply.subject, reply.data["status"]) == (STATUS_CHANGED, dossier(7), 2)
    verified = verify_event(
        message.headers, message.value, keys, source_agency=AGENCY, at=parse_time(reply.time)
    )
    assert verified is not None
