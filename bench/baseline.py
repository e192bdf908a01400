"""Raw Kafka with aiokafka (the client inside the hub's Faust workers): the load driver and
the pass-through baseline.

The driver (``Driver``) is shared by every measurement: it sends pre-built messages to a
source topic with acks=all and idempotence, stamps each with a ``bench_t`` header
(phase, sequence number, intended send time) and reads the sink topic, where it counts
first arrivals and their publish-to-sink latency. The baseline puts a plain copier
process (``python -m bench.baseline copy SRC DST``) between the two topics: consume,
produce each record with acks=all, commit after the producer flushed (at least once),
exactly as a Faust agent does, but with none of the hub's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)

from hub_settings import HubSettings, load_settings
from schemas import KafkaMessage

STAMP = "bench_t"
MAX_REQUEST = 2_000_000


def _percentile(sorted_ms: Sequence[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


@dataclass
class Phase:
    """What one phase sent and what arrived at the sink (latencies in ms, by arrival time)."""

    name: str
    started: float = 0.0
    stopped: float = 0.0
    sent: int = 0
    arrivals: dict[int, tuple[float, float]] = field(default_factory=dict)
    """sequence number -> (arrival time, latency ms); duplicates are ignored."""

    def throughput(self, warmup_s: float) -> float:
        """First arrivals per second between the end of the warm-up and the end of sending."""
        start = self.started + warmup_s
        span = self.stopped - start
        count = sum(1 for at, _ in self.arrivals.values() if start <= at <= self.stopped)
        return count / span if span > 0 else 0.0

    def latencies(self, warmup_s: float) -> dict[str, float]:
        start = self.started + warmup_s
        ms = sorted(lat for at, lat in self.arrivals.values() if at >= start)
        return {
            "p50_ms": _percentile(ms, 0.50),
            "p95_ms": _percentile(ms, 0.95),
            "p99_ms": _percentile(ms, 0.99),
            "max_ms": ms[-1] if ms else float("nan"),
        }


class Driver:
    """Sends to ``source`` and measures first arrivals at ``sink`` (both aiokafka)."""

    def __init__(self, settings: HubSettings, source: str, sink: str) -> None:
        self.settings = settings
        self.source = source
        self.sink = sink
        self._phase: Phase | None = None
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()

    async def __aenter__(self) -> Driver:
        config = self.settings.aiokafka_client_config()
        self.producer = AIOKafkaProducer(
            **config,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_request_size=MAX_REQUEST,
        )
        self.consumer = AIOKafkaConsumer(
            **config, enable_auto_commit=False, max_partition_fetch_bytes=MAX_REQUEST
        )
        await self.producer.start()
        await self.consumer.start()
        partitions = await self.producer.partitions_for(self.sink)
        tps = [TopicPartition(self.sink, p) for p in sorted(partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.consumer.stop()
        await self.producer.stop()

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=100, max_records=2000)
            now = time.time()
            phase = self._phase
            for records in batches.values():
                for record in records:
                    found = self._match(record.headers)
                    if phase is None or found is None:
                        continue
                    tag, seq, sent = found
                    if tag == phase.name and seq not in phase.arrivals:
                        phase.arrivals[seq] = (now, (now - sent) * 1000)
            self._progress.set()

    def _match(self, headers: Sequence[tuple[str, bytes]]) -> tuple[str, int, float] | None:
        """(phase, sequence number, send time) of a sink record, from its ``bench_t``."""
        stamp = next((v for k, v in headers if k == STAMP), None)
        if stamp is None:
            return None
        tag, seq, sent = stamp.decode().split(":")
        return tag, int(seq), float(sent)

    async def _arrivals(self, timeout_s: float) -> None:
        """Wait (at most ``timeout_s``) until the reader has handled another fetch."""
        self._progress.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._progress.wait(), timeout_s)

    async def _send(self, phase: Phase, message: KafkaMessage, intended: float) -> None:
        stamp = f"{phase.name}:{phase.sent}:{intended:.6f}".encode()
        await self.producer.send(
            self.source,
            message.value,
            key=message.key,
            headers=[*message.header_list(), (STAMP, stamp)],
        )
        phase.sent += 1

    def _new_phase(self, label: str) -> Phase:
        phase = Phase(f"{label}#{next(self._ids)}")
        self._phase = phase
        phase.started = time.time()
        return phase

    async def flood(
        self, label: str, messages: Sequence[KafkaMessage], duration_s: float, window: int
    ) -> Phase:
        """As fast as the sink keeps up: at most ``window`` events in flight end to end."""
        phase = self._new_phase(label)
        deadline = phase.started + duration_s
        for message in messages:
            while phase.sent - len(phase.arrivals) >= window and time.time() < deadline:
                await self._arrivals(0.1)
            if time.time() >= deadline:
                break
            await self._send(phase, message, time.time())
        phase.stopped = min(time.time(), deadline)
        return phase

    async def paced(
        self, label: str, messages: Sequence[KafkaMessage], rate: float, duration_s: float
    ) -> Phase:
        """Open loop at ``rate`` events/s; latency counts from the intended send time."""
        phase = self._new_phase(label)
        count = min(len(messages), int(rate * duration_s))
        for i in range(count):
            intended = phase.started + i / rate
            delay = intended - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._send(phase, messages[i], intended)
        phase.stopped = time.time()
        return phase

    async def drain(self, phase: Phase, timeout_s: float) -> bool:
        """Wait until everything sent arrived (True) or ``timeout_s`` passed (False)."""
        await self.producer.flush()
        deadline = time.time() + timeout_s
        while len(phase.arrivals) < phase.sent and time.time() < deadline:
            await self._arrivals(0.2)
        return len(phase.arrivals) >= phase.sent


# --- the copier process ------------------------------------------------------------------


async def copy(settings: HubSettings, source: str, sink: str, group: str) -> None:
    """Consume ``source``, produce each record to ``sink`` (acks=all), commit after flush."""
    config = settings.aiokafka_client_config()
    consumer = AIOKafkaConsumer(
        source,
        **config,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=MAX_REQUEST,
    )
    producer = AIOKafkaProducer(
        **config, acks="all", enable_idempotence=True, max_request_size=MAX_REQUEST
    )
    await producer.start()
    await consumer.start()
    print("copier ready", flush=True)
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            futures = [
                await producer.send(sink, r.value, key=r.key, headers=list(r.headers))
                for records in batches.values()
                for r in records
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def main(argv: Sequence[str]) -> int:
    """``python -m bench.baseline copy SOURCE SINK GROUP``"""
    if len(argv) != 4 or argv[0] != "copy":
        print("usage: python -m bench.baseline copy SOURCE SINK GROUP", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(copy(load_settings(), argv[1], argv[2], argv[3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
