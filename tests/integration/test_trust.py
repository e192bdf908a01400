"""streams.verify against the real broker and worker: each bad input is quarantined with
its own reason, the worker keeps running, and a good event sent right after is delivered.

Events go in as Phường Hạc Thành's own principal over SASL_SSL (the worker has its own):
a forged event passes the broker's ACLs, as it would from a compromised agency, and the
hub's signature checks are what stop it."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from kafka.errors import TopicAuthorizationFailedError

from registry.keys import generate_agency_key, revoke_agency_key
from registry.store import RegistryStore
from schemas import CloudEvent, KafkaMessage
from security import FileSigner, generate_key_pair, key_id_for, load_signer, sign_event
from tests.support.dossiers import dossier_code, dossier_event
from tests.support.pipeline import FINANCE, HAC_THANH, JUSTICE, PASSPHRASE, Pipeline

pytestmark = pytest.mark.integration


def _good_then_check(
    pipeline: Pipeline, bad: KafkaMessage, ce_id: str, reason: str
) -> dict[str, str]:
    """Send ``bad`` then a good event; the bad one is quarantined, the good one accepted."""
    code = dossier_code(HAC_THANH)
    good = pipeline.sign(
        dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH)
    )
    pipeline.send([bad, good], as_agency=HAC_THANH)
    rejected = pipeline.quarantined(ce_id)
    assert rejected["hub_reject_reason"] == reason, rejected
    assert rejected["hub_reject_stage"] == "verify"
    assert pipeline.records_for(pipeline.names.events("dossier"), code, 1)
    return rejected


def _event(source: str = HAC_THANH, **data: object) -> CloudEvent:
    code = dossier_code(source)
    return dossier_event("DossierSubmitted", source, code, receiving_agency_id=source, **data)


def test_single_and_batch_signatures_are_accepted(pipeline: Pipeline) -> None:
    single = _event()
    batch = [_event() for _ in range(7)]
    pipeline.send(
        [pipeline.sign(single), *pipeline.sign_batch(batch, HAC_THANH)], as_agency=HAC_THANH
    )
    for event in (single, *batch):
        accepted = pipeline.records_for(pipeline.names.events("dossier"), event.subject, 1)
        assert dict(accepted[0].headers)["ce_id"] == event.id.encode()


def test_the_publishing_principal_is_the_agencys_own(pipeline: Pipeline) -> None:
    """The principal these tests publish as may write ingress and nothing past it."""
    if pipeline.worker_kafka is None:
        pytest.skip("an external cluster brings its own principals")
    event = _event()
    with pytest.raises(TopicAuthorizationFailedError):
        pipeline.send(
            [pipeline.sign(event)], topic=pipeline.names.events("dossier"), as_agency=HAC_THANH
        )


def test_forged_signature(pipeline: Pipeline) -> None:
    event = _event()
    signed = pipeline.sign(event)
    value = bytearray(signed.value)
    value[-20] ^= 0x01  # one bit inside the record, after signing
    tampered = KafkaMessage(signed.key, bytes(value), signed.headers)
    detail = _good_then_check(pipeline, tampered, event.id, "bad_signature")
    assert detail["hub_reject_detail"]


def test_signature_by_another_agencys_valid_key(pipeline: Pipeline) -> None:
    event = _event(HAC_THANH)
    _good_then_check(
        pipeline, pipeline.sign(event, agency=JUSTICE), event.id, "key_agency_mismatch"
    )


def test_unknown_key(pipeline: Pipeline) -> None:
    private, info = generate_key_pair(HAC_THANH)
    stranger = FileSigner(private, HAC_THANH, key_id_for(HAC_THANH, info.public_key))
    event = _event()
    message = pipeline.codec.encode(event)
    extra = sign_event(stranger, message.headers, message.value)
    bad = KafkaMessage(message.key, message.value, message.headers + extra)
    _good_then_check(pipeline, bad, event.id, "unknown_key")


def test_revoked_key_and_key_outside_its_validity_window(pipeline: Pipeline) -> None:
    now = datetime.now(UTC)
    keys_dir = pipeline.workdir / "keys-extra"
    with RegistryStore(pipeline.settings) as registry:
        revoked = pipeline.signers[FINANCE]
        revoke_agency_key(registry, FINANCE, revoked.key_id, now=now, effective=now)
        future_path, future_key = generate_agency_key(
            registry,
            FINANCE,
            keys_dir,
            PASSPHRASE,
            now=now + timedelta(hours=1),
            overlap=timedelta(hours=2),
        )
    future = load_signer(future_path, PASSPHRASE, FINANCE, future_key.key_id)
    time.sleep(1.0)  # the worker's registry view follows hub.registry within ~100 ms
    first = _event(FINANCE)
    _good_then_check(pipeline, pipeline.sign(first, agency=FINANCE), first.id, "key_revoked")
    second = _event(FINANCE)
    message = pipeline.codec.encode(second)
    early = KafkaMessage(
        message.key,
        message.value,
        message.headers + sign_event(future, message.headers, message.value),
    )
    _good_then_check(pipeline, early, second.id, "key_not_valid_at_time")


def test_replayed_event_id(pipeline: Pipeline) -> None:
    event = _event()
    message = pipeline.sign(event)
    pipeline.send([message], as_agency=HAC_THANH)
    assert pipeline.records_for(pipeline.names.events("dossier"), event.subject, 1)
    _good_then_check(pipeline, message, event.id, "replayed")


def test_event_type_the_agency_may_not_emit(pipeline: Pipeline) -> None:
    code = dossier_code(JUSTICE)
    event = dossier_event("PaymentRequested", JUSTICE, code)
    _good_then_check(pipeline, pipeline.sign(event), event.id, "type_not_allowed")


def test_clock_skew_beyond_the_limit(pipeline: Pipeline) -> None:
    code = dossier_code(HAC_THANH)
    event = dossier_event(
        "DossierSubmitted",
        HAC_THANH,
        code,
        receiving_agency_id=HAC_THANH,
        at=datetime.now(UTC) - timedelta(hours=2),
    )
    _good_then_check(pipeline, pipeline.sign(event), event.id, "clock_skew")


def test_oversized_message(pipeline: Pipeline) -> None:
    limit = pipeline.settings.security.max_message_bytes
    event = _event(note="x" * (limit + 10))
    _good_then_check(pipeline, pipeline.sign(event), event.id, "oversized")


def test_garbage_bytes_and_missing_headers(pipeline: Pipeline) -> None:
    event = _event()
    signed = pipeline.sign(event)
    # Random bytes, but never the wire format's magic byte 0 (1 in 256 would then fail on
    # the schema id instead, a different reason).
    garbage = KafkaMessage(signed.key, b"\xff" + os.urandom(63), signed.headers)
    _good_then_check(pipeline, garbage, event.id, "bad_magic_byte")

    second = _event()
    signed = pipeline.sign(second)
    no_type = KafkaMessage(
        signed.key, signed.value, tuple(h for h in signed.headers if h[0] != "ce_type")
    )
    rejected = _good_then_check(pipeline, no_type, second.id, "missing_header")
    assert "ce_type" in rejected["hub_reject_detail"]

    pipeline.send([KafkaMessage(None, os.urandom(100), ())], as_agency=HAC_THANH)
    code = dossier_code(HAC_THANH)
    after = dossier_event("DossierSubmitted", HAC_THANH, code, receiving_agency_id=HAC_THANH)
    pipeline.publish(after)
    assert pipeline.records_for(pipeline.names.events("dossier"), code, 1)
