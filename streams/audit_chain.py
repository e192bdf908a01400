"""The audit log's hash chain, as pure functions: link, checkpoint, verify.

Each record of ``hub.audit`` links one entry (the digest of an accepted or quarantined
message) to the previous head: ``head_n = SHA-256(TAG || head_{n-1} || SHA-256(entry))``.
Every N entries or T seconds a checkpoint (head, count, time) is signed with the hub's own
key. ``verify_chain`` re-reads the records and proves the chain intact, or names the first
broken link. Records repeated byte for byte (at-least-once redelivery) are skipped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.message import KafkaMessage

CHAIN_TAG = b"thanhhoa-hub/audit/v1\x00"
CHECKPOINT_TAG = b"thanhhoa-hub/audit-checkpoint/v1\x00"
GENESIS = bytes(32)
"""The head before the first entry."""

Entry = Mapping[str, Any]
CheckpointVerifier = Callable[[str, bytes, bytes], bool]
"""(key id, signed bytes, signature) -> whether the hub's key signed them."""


def canonical_json(data: Entry) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def message_digest(message: KafkaMessage) -> str:
    """SHA-256 (hex) of a Kafka record exactly as stored: key, value and headers."""
    digest = hashlib.sha256()

    def put(part: bytes) -> None:
        digest.update(struct.pack(">I", len(part)))
        digest.update(part)

    put(message.key if message.key is not None else b"")
    put(message.value)
    digest.update(struct.pack(">I", len(message.headers)))
    for name, value in message.headers:
        put(name.encode())
        put(value)
    return digest.hexdigest()


def link(prev_head: bytes, entry: Entry) -> bytes:
    """The new chain head after appending ``entry``."""
    return hashlib.sha256(
        CHAIN_TAG + prev_head + hashlib.sha256(canonical_json(entry)).digest()
    ).digest()


def entry_record(
    seq: int, prev_head: bytes, entry: Entry, src: int | None = None
) -> dict[str, Any]:
    """The ``hub.audit`` record for entry number ``seq`` (1-based). ``src``, the entry's
    offset in ``hub.audit.entries``, is where the chain resumes reading; it is a locator,
    outside the hash (the entry's content is what the chain proves)."""
    record = {
        "kind": "entry",
        "seq": seq,
        "prev": prev_head.hex(),
        "head": link(prev_head, entry).hex(),
        "entry": dict(entry),
    }
    if src is not None:
        record["src"] = src
    return record


def checkpoint_bytes(head: bytes, count: int, time: str) -> bytes:
    """What the hub's key signs for a checkpoint."""
    return CHECKPOINT_TAG + head + struct.pack(">Q", count) + time.encode()


def checkpoint_record(
    head: bytes, count: int, time: str, key_id: str, sign: Callable[[bytes], bytes]
) -> dict[str, Any]:
    """A signed checkpoint: the chain had ``count`` entries ending in ``head`` at ``time``."""
    signature = sign(checkpoint_bytes(head, count, time))
    return {
        "kind": "checkpoint",
        "seq": count,
        "head": head.hex(),
        "count": count,
        "time": time,
        "key_id": key_id,
        "signature": base64.b64encode(signature).decode(),
    }


@dataclass
class ChainReport:
    """The outcome of ``verify_chain``: figures, and the first broken link if any."""

    entries: int = 0
    checkpoints: int = 0
    duplicates: int = 0
    head: str = GENESIS.hex()
    broken_at: int | None = None
    problem: str | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.intact:
            return (
                f"audit chain intact: {self.entries} entries, {self.checkpoints} signed "
                f"checkpoints, {self.duplicates} redelivered duplicates skipped, head {self.head}"
            )
        return f"audit chain BROKEN at record {self.broken_at}: {self.problem}"


def verify_chain(
    records: Iterable[Mapping[str, Any]], verify_sig: CheckpointVerifier
) -> ChainReport:
    """Check every link and checkpoint, in topic order; stop at the first broken one."""
    report = ChainReport()
    heads: list[bytes] = [GENESIS]  # heads[n] = head after entry n
    for index, record in enumerate(records):
        problem = _check(record, heads, report, verify_sig)
        if problem is not None:
            report.broken_at, report.problem = index, problem
            return report
    report.head = heads[-1].hex()
    return report


def _check(
    record: Mapping[str, Any],
    heads: list[bytes],
    report: ChainReport,
    verify_sig: CheckpointVerifier,
) -> str | None:
    try:
        kind, seq = record["kind"], int(record["seq"])
        head = bytes.fromhex(record["head"])
        if kind == "checkpoint":
            return _check_checkpoint(record, seq, head, heads, report, verify_sig)
        if kind != "entry":
            return f"unknown record kind {kind!r}"
        prev, entry = bytes.fromhex(record["prev"]), record["entry"]
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed record: {exc}"
    if seq < len(heads):  # seen before: only an identical redelivery is allowed
        same = heads[seq] == head and heads[seq - 1] == prev and link(prev, entry) == head
        if seq >= 1 and same:
            report.duplicates += 1
            return None
        return f"entry {seq} appears twice with different content"
    if seq != len(heads):
        return f"entry {len(heads)} is missing (next record is entry {seq})"
    if prev != heads[-1]:
        return f"entry {seq} does not link to the previous head"
    if link(prev, entry) != head:
        return f"entry {seq} was altered: its head does not match its content"
    heads.append(head)
    report.entries += 1
    outcome = str(entry.get("outcome", "?"))
    report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
    return None


def _check_checkpoint(
    record: Mapping[str, Any],
    seq: int,
    head: bytes,
    heads: list[bytes],
    report: ChainReport,
    verify_sig: CheckpointVerifier,
) -> str | None:
    if seq >= len(heads):
        return f"entry {len(heads)} is missing (a checkpoint covers {seq} entries)"
    if heads[seq] != head:
        return f"checkpoint at entry {seq} does not match the chain"
    signed = checkpoint_bytes(head, int(record["count"]), str(record["time"]))
    signature = base64.b64decode(record["signature"])
    if not verify_sig(str(record["key_id"]), signed, signature):
        return f"checkpoint at entry {seq} has an invalid signature"
    report.checkpoints += 1
    return None


def entry_key(entry: Entry) -> str:
    """What identifies one audit entry: the hash of its canonical form. A redelivered
    entries-topic record has the same key; a message audited twice (with a new time) does not."""
    return hashlib.sha256(canonical_json(entry)).hexdigest()


@dataclass
class ChainState:
    """Where the chain stands: the last entry's number and head, entries since the last
    checkpoint, the keys of the entries chained most recently (to skip redeliveries) and
    ``next_src``, the ``hub.audit.entries`` offset the chain needs next (None until an
    entry with its offset has been chained)."""

    seq: int = 0
    head: bytes = GENESIS
    since: int = 0
    recent: dict[str, None] = field(default_factory=dict)
    window: int = 4096
    next_src: int | None = None

    def chained(self, src: int) -> bool:
        """Whether the entries-topic record at ``src`` is already in the chain."""
        return self.next_src is not None and src < self.next_src

    def missing(self, src: int) -> range:
        """The entries-topic offsets before ``src`` that the chain lacks (empty if none)."""
        return range(self.next_src, src) if self.next_src is not None else range(0)

    def remember(self, key: str) -> None:
        self.recent[key] = None
        while len(self.recent) > self.window:
            del self.recent[next(iter(self.recent))]

    def append(self, entry: Entry, src: int | None = None) -> dict[str, Any] | None:
        """The record that links ``entry`` (read at offset ``src`` of the entries topic), or
        None if it is already in the chain."""
        if src is not None:
            if self.chained(src):
                return None
            self.next_src = src + 1
        key = entry_key(entry)
        if key in self.recent:
            return None
        record = entry_record(self.seq + 1, self.head, entry, src)
        self.seq, self.head = self.seq + 1, bytes.fromhex(record["head"])
        self.since += 1
        self.remember(key)
        return record


def resume_chain(tail: Iterable[Mapping[str, Any]], window: int = 4096) -> ChainState:
    """The chain state after ``tail``, the last records of ``hub.audit`` in topic order.

    The topic, not a table, is the truth: whatever a crashed worker managed to write is
    where the next worker continues, so a kill can neither fork the chain nor leave a gap.
    """
    state = ChainState(window=window)
    tail = list(tail)
    if not tail:
        state.next_src = 0  # a new chain needs the entries topic from its first record
    for record in tail:
        seq = int(record["seq"])
        if seq < state.seq or (seq == state.seq and record.get("kind") == "entry"):
            continue  # a repeated record, as written before the chain resumed from the topic
        if record.get("kind") == "checkpoint":
            state.seq, state.head, state.since = seq, bytes.fromhex(record["head"]), 0
            continue
        state.seq, state.head = seq, bytes.fromhex(record["head"])
        state.since += 1
        state.remember(entry_key(record["entry"]))
        if isinstance(src := record.get("src"), int):
            state.next_src = max(state.next_src or 0, src + 1)
    return state
