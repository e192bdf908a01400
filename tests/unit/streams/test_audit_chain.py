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
    ChainState,
    checkpoint_record,
    entry_record,
    message_digest,
    resume_chain,
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


def _entries(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["entry"] for r in records if r["kind"] == "entry"]


@pytest.mark.parametrize("tail_from", [0, 5, 9])
def test_a_chain_resumed_from_the_topic_tail_continues_it(tail_from: int) -> None:
    """A new owner reads the last records (from the start, mid-chain, or from a checkpoint
    on) and carries on: the whole log verifies as one chain, with no gap and no fork."""
    written = chain(10)
    state = resume_chain(written[tail_from:])
    assert state.seq == 10
    assert state.since == 1  # the last checkpoint covered entry 9
    more = [state.append({"digest": f"{n:064x}", "outcome": "accepted"}) for n in (11, 12)]
    report = verify_chain([*written, *(r for r in more if r is not None)], _verify)
    assert report.intact, report.summary()
    assert report.entries == 12


def test_an_entry_already_in_the_chain_is_not_appended_again() -> None:
    """An entries-topic record redelivered after a crash was chained already: skipped."""
    written = chain(4)
    state = resume_chain(written)
    assert state.append(_entries(written)[-1]) is None
    assert state.append(_entries(written)[0]) is None
    assert state.seq == 4
    audited_again = {**_entries(written)[-1], "time": "2026-12-03T10:00:01"}
    record = state.append(audited_again)  # the same message audited again is a new entry
    assert record is not None
    assert record["seq"] == 5


def test_resume_skips_repeated_records_written_by_older_workers() -> None:
    written = chain(4)
    repeated = [*written[:3], written[2], *written[3:]]
    assert resume_chain(repeated).seq == 4
    assert resume_chain([]).head == GENESIS


def test_the_remembered_window_is_bounded() -> None:
    state = ChainState(window=3)
    for n in range(10):
        state.append({"n": n})
    assert len(state.recent) == 3
    assert state.append({"n": 0}) is not None  # forgotten, so chained again


def test_the_entries_offset_says_what_the_chain_lacks_after_a_resume() -> None:
    """Each record carries its entries-topic offset (outside the hash): a resumed chain knows
    which offsets it holds, skips those redelivered and names the ones the stream skipped."""
    state = ChainState()
    written = [state.append({"n": n}, src=n) for n in range(5)]
    assert all(r is not None and r["src"] == n for n, r in enumerate(written))
    resumed = resume_chain([r for r in written if r is not None])
    assert resumed.next_src == 5
    assert resumed.chained(4)
    assert not resumed.chained(5)
    assert resumed.append({"n": 4, "other": "content"}, src=4) is None  # offset 4 is in
    assert resumed.missing(9) == range(5, 9)  # the stream delivered 9 next: 5-8 are owed
    filled = [resumed.append({"n": n}, src=n) for n in range(5, 10)]
    assert resumed.missing(10) == range(0)
    report = verify_chain([*written, *filled], _verify)  # type: ignore[list-item]
    assert report.intact, report.summary()
    assert report.entries == 10


def test_a_new_chain_needs_the_entries_topic_from_its_start() -> None:
    assert resume_chain([]).missing(3) == range(0, 3)
    assert resume_chain(chain(2)).missing(3) == range(0)  # older records, no offsets: unknown
