"""The operator's path: an event refused for a missing key is listed with its reason,
the key is registered, and `hub quarantine replay` gets the original accepted."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from registry._key_records import to_agency_key
from registry.store import RegistryStore
from schemas import CloudEvent, KafkaMessage
from schemas.rejects import REPLAYED_FROM
from security import FileSigner, PublicKeyInfo, generate_key_pair, key_id_for, sign_event
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import HAC_THANH, Pipeline, settings_env

pytestmark = pytest.mark.integration


def _hub(pipeline: Pipeline, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub_api.cli", *args],
        env={**settings_env(pipeline.settings), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _signed_with(key: FileSigner, pipeline: Pipeline, event: CloudEvent) -> KafkaMessage:
    message = pipeline.codec.encode(event)
    extra = sign_event(key, message.headers, message.value)
    return KafkaMessage(message.key, message.value, message.headers + extra)


def _register(pipeline: Pipeline, info: PublicKeyInfo, key: FileSigner) -> None:
    with RegistryStore(pipeline.settings) as registry:
        agency = registry.catalog().agency(HAC_THANH)
        record = to_agency_key(info).model_copy(update={"key_id": key.key_id})
        registry.put_agency(agency.model_copy(update={"keys": [*agency.keys, record]}))


def test_replay_after_registering_the_missing_key(pipeline: Pipeline) -> None:
    # valid from a minute ago: ce_time has millisecond precision, valid_from microseconds
    private, info = generate_key_pair(HAC_THANH, now=datetime.now(UTC) - timedelta(minutes=1))
    new_key = FileSigner(private, HAC_THANH, key_id_for(HAC_THANH, info.public_key))
    code = dossier_code(HAC_THANH)
    event = dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH)
    signed = _signed_with(new_key, pipeline, event)
    pipeline.send([signed])
    assert pipeline.quarantined(event.id)["hub_reject_reason"] == "unknown_key"

    listed = _hub(pipeline, "quarantine", "list", "--reason", "unknown_key", "--json")
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout) if r["event_id"] == event.id)
    assert row["reason"] == "unknown_key"

    _register(pipeline, info, new_key)  # the fix: register the key

    replayed = _hub(pipeline, "quarantine", "replay", str(row["partition"]), str(row["offset"]))
    assert replayed.returncode == 0, replayed.stderr
    accepted = pipeline.records_for(pipeline.names.events("dossier"), code, 1)
    assert dict(accepted[0].headers)["ce_id"] == event.id.encode()


def test_a_replay_is_judged_by_when_the_hub_first_received_it(pipeline: Pipeline) -> None:
    """Registering the missing key can take longer than the clock-skew limit: the replay is
    still accepted, because its skew is judged at its first arrival. A marker that names no
    quarantined copy of the message earns nothing, and a second replay is a replay."""
    skew = pipeline.settings.security.max_clock_skew_s
    margin_s = 20
    private, info = generate_key_pair(HAC_THANH, now=datetime.now(UTC) - timedelta(hours=1))
    new_key = FileSigner(private, HAC_THANH, key_id_for(HAC_THANH, info.public_key))
    code = dossier_code(HAC_THANH)
    at = datetime.now(UTC) - timedelta(seconds=skew - margin_s)
    event = dossier_event("DossierSubmitted", HAC_THANH, code, at=at, receiving_agency_id=HAC_THANH)
    signed = _signed_with(new_key, pipeline, event)
    pipeline.send([signed])

    def reasons(count: int) -> list[str]:
        records = pipeline.records_for(pipeline.names.quarantine, code, count)
        return [dict(r.headers)["hub_reject_reason"].decode() for r in records]

    assert reasons(1) == ["unknown_key"]
    listed = _hub(pipeline, "quarantine", "list", "--reason", "unknown_key", "--json")
    row = next(r for r in json.loads(listed.stdout) if r["event_id"] == event.id)
    _register(pipeline, info, new_key)
    time.sleep(max(0.0, (at + timedelta(seconds=skew + 1) - datetime.now(UTC)).total_seconds()))

    wrong_place = f"{pipeline.names.quarantine}/{row['partition']}/{row['offset'] + 10**6}"
    forged = KafkaMessage(
        signed.key, signed.value, (*signed.headers, (REPLAYED_FROM, wrong_place.encode()))
    )
    pipeline.send([forged])
    assert reasons(2) == ["unknown_key", "clock_skew"]

    for _ in range(2):
        replayed = _hub(pipeline, "quarantine", "replay", str(row["partition"]), str(row["offset"]))
        assert replayed.returncode == 0, replayed.stderr
    assert reasons(3) == ["unknown_key", "clock_skew", "replayed"]
    accepted = pipeline.records_for(pipeline.names.events("dossier"), code, 1)
    ids = [dict(r.headers)["ce_id"] for r in accepted]  # with the hub's own follow-ups
    assert ids.count(event.id.encode()) == 1
