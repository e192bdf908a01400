"""streams.audit: append every accepted and quarantined message's digest to the chain.

``hub.audit.entries`` and ``hub.audit`` have one partition each, so exactly one worker owns
the chain. That worker takes the chain's state from the last records of ``hub.audit``
itself whenever it (re)gains the partition: whatever a killed worker managed to write is
where the chain continues, so a crash cannot fork it. Each chain record carries its
entry's offset in ``hub.audit.entries``: entries already chained (redelivered after a
crash) are skipped by offset (or, for records without one, by hash), and entries the
stream skipped (Faust drops some records fetched while the partition changes owner) are
read back from the topic by offset, so none is left out. Faust flushes the producer before
it gives a partition up, so the new owner reads everything the old one wrote. Every N
entries or T seconds, a checkpoint signed with the hub's key is appended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from faust.types import TP

from streams.app import app
from streams.audit_chain import ChainState, checkpoint_record, resume_chain
from streams.audit_log import read_audit, read_entries
from streams.runtime import utc_now
from streams.wiring import audit_entries_topic, names, runtime

log = logging.getLogger(__name__)

RESUME_WINDOW = 4096
"""How many of the last audit records the chain reads back to know what it already holds."""

_chain: ChainState | None = None
_last_checkpoint = time.monotonic()
_lock = asyncio.Lock()
_tail_seen: int | None = None
"""The chain's next entries offset at the last tail check."""


@app.on_partitions_revoked.connect  # type: ignore[untyped-decorator]  # faust has no types
async def _forget_chain(sender: Any, *args: Any, **kwargs: Any) -> None:
    """Another worker may own the chain after this rebalance: read it back before writing."""
    global _chain
    _chain = None


async def _resume() -> ChainState:
    settings = runtime.settings
    tail = await asyncio.to_thread(lambda: list(read_audit(settings, last=RESUME_WINDOW)))
    state = resume_chain(tail, window=RESUME_WINDOW)
    log.info("audit chain resumes after entry %d (%d records read back)", state.seq, len(tail))
    return state


async def _link(state: ChainState, src: int, value: bytes) -> None:
    """Chain the entries-topic record at offset ``src`` (unless it is in the chain already)
    and write its record, with a checkpoint when one is due."""
    global _chain, _last_checkpoint
    streams = runtime.settings.streams
    try:
        entry = json.loads(value)
    except ValueError:
        entry = {"unreadable": bytes(value).hex()}
    record = state.append(entry, src)
    if record is None:
        log.info("audit entry %d already chained, skipped (redelivered after a restart)", src)
        return
    records = [record]
    due = time.monotonic() - _last_checkpoint >= streams.audit_checkpoint_interval_s
    signer = runtime.signer
    if signer is not None and (state.since >= streams.audit_checkpoint_every or due):
        stamp = utc_now().isoformat(timespec="milliseconds")
        records.append(checkpoint_record(state.head, state.seq, stamp, signer.key_id, signer.sign))
        state.since, _last_checkpoint = 0, time.monotonic()
    try:
        for item in records:
            await app.producer.send(names.audit, b"chain", json.dumps(item).encode(), 0, None, None)
    except BaseException:
        _chain = None  # not sure what was written: read the chain back before the next
        raise


async def _fill(state: ChainState, upto: int) -> None:
    """Chain the entries before offset ``upto`` that the chain lacks, read from the topic.

    Faust can drop records it fetched while the partition changed owner (it takes them for
    already read: docs/reliability.md); the chain's own offsets, not the stream's, say what
    is missing, so nothing accepted stays out of the chain."""
    gap = state.missing(upto)
    if not gap:
        return
    settings = runtime.settings
    found = await asyncio.to_thread(read_entries, settings, gap.start, gap.stop)
    log.warning(
        "audit: %d entries at offsets %d-%d did not come through the stream; read %d back from %s",
        len(gap),
        gap.start,
        gap.stop - 1,
        len(found),
        names.audit_entries,
    )
    for src, value in found:
        await _link(state, src, value)


@app.agent(audit_entries_topic)  # type: ignore[untyped-decorator]  # faust has no types
async def chain(stream: Any) -> None:
    """Link each entry to the chain and write it; a checkpoint now and then."""
    global _chain
    async for event in stream.events():
        src = event.message.offset
        async with _lock:
            if _chain is None:
                _chain = await _resume()
            state = _chain
            await _fill(state, src)
            await _link(state, src, event.value)


@app.timer(runtime.settings.streams.audit_gap_check_s)  # type: ignore[untyped-decorator]
async def chain_tail() -> None:
    """Entries at the end of the topic that the stream has not delivered for a whole interval
    (dropped, with none after them to reveal the gap) are read back and chained. A worker
    that gained the chain but has had no entry through the stream since reads the chain
    back here, so a drop right before a quiet time is found as well."""
    global _chain, _tail_seen
    async with _lock:
        tp = TP(names.audit_entries, 0)
        if tp not in app.consumer.assignment():
            _tail_seen = None
            return
        if _chain is None:
            _chain = await _resume()
        state = _chain
        if state.next_src is None:
            _tail_seen = None
            return
        end = app.consumer.highwater(tp)
        stuck = _tail_seen == state.next_src
        _tail_seen = state.next_src
        if end is not None and end > state.next_src and stuck:
            await _fill(state, end)
