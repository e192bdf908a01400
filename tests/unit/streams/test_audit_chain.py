"""The audit hash chain: intact chains verify; any alteration names the first broken link."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import KafkaMessage
from streams.audit_chain import (
    GENESIS,
    checkpoint_record,
    entry_record,
    message_digest,
    verify_chain,
)

KEY = Ed25519PrivateKey.generate()


def _verify(key_id: str, signed: bytes, signature: bytes) -> bool:
    if key_id != "hub:1":
        return False
    try:
        KEY.public_key().verify(signature, signed)
    except InvalidSignature:
        return False
    return True


def chain(count: int, checkpoint_every: int = 3) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    head = GENESIS
    for seq in range(1, count + 1):
        entry = {"digest": f"{seq:064x}", "outcome": "accepted", "ce_id": f"id-{seq}"}
        record = entry_record(seq, head, entry)
        head = bytes.fromhex(record["head"])
        records.append(record)
        if seq % checkpoint_every == 0:
            records.append(checkpoint_record(head, seq, "2026-12-03T10:00:00", "hub:1", KEY.sign))
    return records


def test_intact_chain_with_checkpoints_verifies() -> None:
    report = verify_chain(chain(10), _verify)
    assert report.intact, report.summary()
    assert (report.entries, report.checkpoints) == (10, 3)
    assert report.outcomes == {"accepted": 10}


def test_redelivered_identical_records_are_skipped() -> None:
    records = chain(6)
    records.insert(5, copy.deepcopy(records[4]))  # entry 4 appended twice after a crash
    report = verify_chain(records, _verify)
    assert report.intact
    assert report.duplicates == 1


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda r: r[2]["entry"].update(outcome="quarantined"), "entry 3 was altered"),
        (lambda r: r.pop(2), "entry 3 is missing"),
        (lambda r: r[3].update(signature="AAAA" + r[3]["signature"][4:]), "invalid signature"),
        (lambda r: r[3].update(key_id="attacker"), "invalid signature"),
        (lambda r: r[5].update(prev=r[0]["head"]), "does not link"),
        (lambda r: r.insert(4, {**r[1], "entry": {"x": 1}}), "appears twice"),
    ],
)
def test_tampering_names_the_first_broken_link(mutate: Any, problem: str) -> None:
    records = chain(8)
    mutate(records)
    report = verify_chain(records, _verify)
    assert not report.intact
    assert problem in (report.problem or "")
    assert "BROKEN" in report.summary()


def test_message_digest_covers_key_value_and_headers() -> None:
    base = KafkaMessage(b"k", b"v", (("ce_id", b"1"),))
    variants = [
        KafkaMessage(b"K", b"v", (("ce_id", b"1"),)),
        KafkaMessage(b"k", b"V", (("ce_id", b"1"),)),
        KafkaMessage(b"k", b"v", (("ce_id", b"2"),)),
        KafkaMessage(None, b"kv", (("ce_id", b"1"),)),
    ]
    assert len({message_digest(m) for m in [base, *variants]}) == 5
