"""streams.verify: ``hub.ingress`` -> ``hub.events.<domain>`` or ``hub.quarantine``.

Every check but the replay check is the pure ``Verifier``; replays are caught with the
``replay`` table (replay key -> first sighting), persisted in its changelog so that a
restarted worker still knows what it accepted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

from schemas import KafkaMessage, load_catalog
from security import replay_key
from streams._records import message_of, origin_of
from streams.app import app, table
from streams.replay_reference import marker_of, received_at
from streams.runtime import utc_now
from streams.verification import Verdict, is_replay
from streams.wiring import audit, emit, ingress_topic, metrics, names, quarantine, runtime

log = logging.getLogger(__name__)

replay_table = table("replay", default=None, value_type=bytes)
_domains = {event.ce_type: event.domain for event in load_catalog().events}


def _replay_verdict(verdict: Verdict, origin: str, now: float) -> Verdict:
    event = verdict.event
    assert event is not None
    key = replay_key(event.source, event.id)
    previous = replay_table.get(key)
    seen = previous.decode() if previous is not None else None
    if is_replay(
        seen, origin, event.timestamp.timestamp(), now, runtime.settings.security.replay_window_s
    ):
        first = (seen or "").partition("|")[2]
        return Verdict(
            None,
            "replayed",
            f"ce_id {event.id} from {event.source} was already accepted at {first}",
        )
    if seen is None:
        replay_table[key] = f"{event.timestamp.timestamp()}|{origin}".encode()
    return verdict


async def _received_at(message: KafkaMessage) -> datetime | None:
    """When an operator's replay from quarantine first reached the hub (rare: a thread)."""
    config = runtime.settings.kafka_client_config()
    return await asyncio.to_thread(received_at, message, config, names.quarantine)


@app.agent(ingress_topic)  # type: ignore[untyped-decorator]  # faust has no types
async def verify(stream: Any) -> None:
    """Accept or quarantine each ingress message; bad input never stops the agent."""
    async for event in stream.events():
        message, origin = message_of(event), origin_of(event)
        metrics.ingress(message)
        started = time.perf_counter()
        try:
            now = utc_now()
            received = await _received_at(message) if marker_of(message) else None
            verdict = runtime.verifier.check(message, now, received)
            if verdict.accepted:
                verdict = _replay_verdict(verdict, origin, (received or now).timestamp())
        except Exception as exc:
            log.exception("verify failed on %s", origin)
            verdict = Verdict(None, "internal_error", f"{type(exc).__name__}: {exc}")
        metrics.verified(time.perf_counter() - started)
        if verdict.event is not None:
            await emit(names.events(_domains[verdict.event.type]), message)
            metrics.accepted(verdict.event.type)
            await audit(message, "accepted", origin)
        else:
            await quarantine(
                message, verdict.reason or "rejected", verdict.detail, "verify", origin
            )
