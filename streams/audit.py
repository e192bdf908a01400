"""streams.audit: append every accepted and quarantined message's digest to the chain.

``hub.audit.entries`` has one partition, so exactly one worker owns the chain. Each record
is handed to the producer before the chain head in the table moves, so a crash can only
repeat a record byte for byte (which ``hub audit verify`` skips), never leave a gap.
Every N entries or T seconds, a checkpoint signed with the hub's key is appended.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from streams.app import app
from streams.audit_chain import GENESIS, checkpoint_record, entry_record
from streams.runtime import utc_now
from streams.wiring import audit_entries_topic, names, runtime

log = logging.getLogger(__name__)

chain_table = app.Table("audit-chain", default=None, value_type=bytes, partitions=1)
_HEAD = "head"
_last_checkpoint = time.monotonic()


@app.agent(audit_entries_topic)  # type: ignore[untyped-decorator]  # faust has no types
async def chain(stream: Any) -> None:
    """Link each entry to the chain and write it, then move the head in the table.

    The record is handed to the producer before the table's changelog update, in the same
    produce request to the same broker; a crash can only repeat records byte for byte.
    """
    global _last_checkpoint
    streams = runtime.settings.streams
    async for event in stream.events():
        raw = chain_table.get(_HEAD)
        state: dict[str, Any] = (
            json.loads(raw) if raw is not None else {"seq": 0, "head": GENESIS.hex(), "since": 0}
        )
        seq, head, since = int(state["seq"]) + 1, bytes.fromhex(state["head"]), int(state["since"])
        try:
            entry = json.loads(event.value)
        except ValueError:
            entry = {"unreadable": bytes(event.value).hex()}
        record = entry_record(seq, head, entry)
        head, since = bytes.fromhex(record["head"]), since + 1
        records = [record]
        due = time.monotonic() - _last_checkpoint >= streams.audit_checkpoint_interval_s
        signer = runtime.signer
        if signer is not None and (since >= streams.audit_checkpoint_every or due):
            stamp = utc_now().isoformat(timespec="milliseconds")
            records.append(checkpoint_record(head, seq, stamp, signer.key_id, signer.sign))
            since, _last_checkpoint = 0, time.monotonic()
        for item in records:
            await app.producer.send(names.audit, b"chain", json.dumps(item).encode(), 0, None, None)
        chain_table[_HEAD] = json.dumps({"seq": seq, "head": head.hex(), "since": since}).encode()
