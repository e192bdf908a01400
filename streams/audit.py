"""streams.audit: append every accepted and quarantined message's digest to the chain.

``hub.audit.entries`` and ``hub.audit`` have one partition each, so exactly one worker owns
the chain. That worker takes the chain's state from the last records of ``hub.audit``
itself whenever it (re)gains the partition: whatever a killed worker managed to write is
where the chain continues, so a crash can neither fork it nor leave a gap. Entries it
already chained (an entries-topic record redelivered after a crash) are skipped by their
hash. Faust flushes the producer before it gives a partition up, so the new owner reads
everything the old one wrote. Every N entries or T seconds, a checkpoint signed with the
hub's key is appended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from streams.app import app
from streams.audit_chain import ChainState, checkpoint_record, resume_chain
from streams.audit_log import read_audit
from streams.runtime import utc_now
from streams.wiring import audit_entries_topic, names, runtime

log = logging.getLogger(__name__)

RESUME_WINDOW = 4096
"""How many of the last audit records the chain reads back to know what it already holds."""

_chain: ChainState | None = None
_last_checkpoint = time.monotonic()


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


@app.agent(audit_entries_topic)  # type: ignore[untyped-decorator]  # faust has no types
async def chain(stream: Any) -> None:
    """Link each entry to the chain and write it; a checkpoint now and then."""
    global _chain, _last_checkpoint
    streams = runtime.settings.streams
    async for event in stream.events():
        if _chain is None:
            _chain = await _resume()
        state = _chain
        try:
            entry = json.loads(event.value)
        except ValueError:
            entry = {"unreadable": bytes(event.value).hex()}
        record = state.append(entry)
        if record is None:
            log.info("audit entry already chained, skipped (redelivered after a restart)")
            continue
        records = [record]
        due = time.monotonic() - _last_checkpoint >= streams.audit_checkpoint_interval_s
        signer = runtime.signer
        if signer is not None and (state.since >= streams.audit_checkpoint_every or due):
            stamp = utc_now().isoformat(timespec="milliseconds")
            records.append(
                checkpoint_record(state.head, state.seq, stamp, signer.key_id, signer.sign)
            )
            state.since, _last_checkpoint = 0, time.monotonic()
        try:
            for item in records:
                await app.producer.send(
                    names.audit, b"chain", json.dumps(item).encode(), 0, None, None
                )
        except BaseException:
            _chain = None  # not sure what was written: read the chain back before the next
            raise
