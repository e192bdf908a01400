"""The hub pipeline against the raw Kafka baseline, interleaved in one run.

Hub path: signed DossierSubmitted -> ``<prefix>.ingress`` -> verify -> track + route ->
``<prefix>.agency.<Sở Tư pháp>.inbox`` (audit on). Baseline path: the same messages ->
topic A -> copier process -> topic B. Same broker, partitions, message sizes, load driver
and consumer; every hub figure is reported next to the baseline phase run just before it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.baseline import Driver, Phase
from bench.harness import (
    PUBLISHER,
    BenchHub,
    Child,
    DossierFactory,
    create_topics,
    padding_for,
    settings_env,
    signed,
    wire_size,
)
from bench.http_bench import Api, HttpDriver
from bench.report import Sampler, broker_pid
from schemas import KafkaMessage

MEMORY_BUDGET = 150_000_000
"""Bytes of pre-built messages one phase may hold (bounds 20 KB floods)."""


@dataclass
class Options:
    duration_s: float = 10.0
    sizes: tuple[int, ...] = (1024, 20_480)
    rate: float = 1000.0
    window: int = 500
    batch: int = 100
    per_event: bool = True
    two_workers: bool = True
    search_steps: int = 7
    latency: bool = True
    http: bool = True
    warmup: float = 0.2

    @property
    def warmup_s(self) -> float:
        return self.duration_s * self.warmup


@dataclass
class PipelineRun:
    """Drives both paths on one hub and collects one row per phase."""

    hub: BenchHub
    options: Options
    profile_dir: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    copiers: list[Child] = field(default_factory=list)
    api: Api | None = None
    factory: DossierFactory = field(default_factory=DossierFactory)
    _paddings: dict[int, int] = field(default_factory=dict)
    _hub_rate: float = 0.0

    @property
    def topic_a(self) -> str:
        return f"{self.hub.names.prefix}.bench.a"

    @property
    def topic_b(self) -> str:
        return f"{self.hub.names.prefix}.bench.b"

    # --- processes --------------------------------------------------------------------
    def start_copier(self) -> None:
        settings = self.hub.settings
        if not self.copiers:
            create_topics(settings, [self.topic_a, self.topic_b], settings.streams.partitions)
        argv = ["-m", "bench.baseline", "copy", self.topic_a, self.topic_b]
        group = f"{settings.streams.app_id}-copier"
        name = f"copier{len(self.copiers) + 1}"
        env = settings_env(settings)
        copier = Child(name, [sys.executable, *argv, group], env, self.hub.workdir).start()
        copier.wait_for("copier ready", timeout_s=60)
        self.copiers.append(copier)

    def pids(self) -> dict[str, int]:
        pids = {w.name: w.pid for w in self.hub.workers}
        pids.update({c.name: c.pid for c in self.copiers})
        if self.api is not None:
            pids["api"] = self.api.child.pid
        broker = broker_pid()
        if broker is not None:
            pids["broker"] = broker
        pids["bench"] = os.getpid()
        return pids

    # --- messages ---------------------------------------------------------------------
    def hub_messages(self, count: int, size: int, batch: int) -> list[KafkaMessage]:
        if size not in self._paddings:
            signer = self.hub.signers[PUBLISHER]
            self._paddings[size] = padding_for(self.hub.codec, signer, size)
        events = [self.factory.event(self._paddings[size]) for _ in range(count)]
        return signed(self.hub.codec, self.hub.signers[PUBLISHER], events, batch)

    def flood_count(self, size: int) -> int:
        cap = 2.5 * self._hub_rate if self._hub_rate else 3000.0
        return max(200, min(int(cap * self.options.duration_s), MEMORY_BUDGET // size))

    # --- phases -----------------------------------------------------------------------
    async def _phase(
        self,
        driver: Driver,
        row: dict[str, Any],
        action: Callable[[], Any],
    ) -> Phase:
        with Sampler(self.pids()) as sampler:
            phase: Phase = await action()
            drained = await driver.drain(phase, timeout_s=60)
        o = self.options
        row.update(
            sent=phase.sent,
            delivered=len(phase.arrivals),
            drained=drained,
            throughput_eps=round(phase.throughput(o.warmup_s), 1),
            **{k: round(v, 1) for k, v in phase.latencies(o.warmup_s).items()},
            processes=[vars(u) for u in sampler.usage],
        )
        self.rows.append(row)
        return phase

    async def flood(
        self, path: str, size: int, batch: int, workers: int, messages: Sequence[KafkaMessage]
    ) -> dict[str, Any]:
        source, sink = self.paths(path)
        row = self._row(path, "flood", size, batch, workers, messages)
        async with Driver(self.hub.settings, source, sink) as driver:
            o = self.options
            await self._phase(
                driver, row, lambda: driver.flood(path, messages, o.duration_s, o.window)
            )
        if path == "hub" and workers == 1:
            self._hub_rate = max(self._hub_rate, row["throughput_eps"])
        return row

    async def paced(
        self,
        path: str,
        size: int,
        batch: int,
        workers: int,
        rate: float,
        messages: Sequence[KafkaMessage],
        mode: str = "paced",
    ) -> dict[str, Any]:
        source, sink = self.paths(path)
        row = self._row(path, mode, size, batch, workers, messages)
        row["offered_eps"] = rate
        async with Driver(self.hub.settings, source, sink) as driver:
            o = self.options
            await self._phase(driver, row, lambda: driver.paced(path, messages, rate, o.duration_s))
        return row

    async def http_flood(
        self, size: int, per_request: int, messages: Sequence[KafkaMessage]
    ) -> dict[str, Any]:
        """The HTTP ingress path (``POST /v1/events``, or ``/batch`` with ``per_request``
        events), flooded by the load generator; the inbox is the sink as for the hub."""
        if self.api is None:
            self.api = Api(self.hub.settings, self.hub.workdir).start()
        row = self._row("http", "flood", size, self.options.batch, 1, messages)
        row["per_request"] = per_request
        async with HttpDriver(self.hub.settings, self.api, self.hub.inbox, per_request) as driver:
            o = self.options
            await self._phase(
                driver, row, lambda: driver.flood("http", messages, o.duration_s, o.window)
            )
            row.update(driver.request_figures())
        return row

    async def http_round(self, size: int) -> None:
        """Baseline, then HTTP ingress one event per request and 100 per request."""
        o = self.options
        count = self.flood_count(size)
        await self.flood(
            "baseline", size, 0, 1, self.baseline_messages(size, MEMORY_BUDGET // size)
        )
        try:
            await self.http_flood(size, 1, self.hub_messages(count, size, o.batch))
            await self.http_flood(size, o.batch, self.hub_messages(count, size, o.batch))
        finally:
            self.stop_api()

    def stop_api(self) -> None:
        if self.api is not None:
            self.api.stop()
            self.api = None

    def paths(self, path: str) -> tuple[str, str]:
        if path == "baseline":
            return self.topic_a, self.topic_b
        return self.hub.names.ingress, self.hub.inbox

    def _row(
        self,
        path: str,
        mode: str,
        size: int,
        batch: int,
        workers: int,
        messages: Sequence[KafkaMessage],
    ) -> dict[str, Any]:
        return {
            "path": path,
            "mode": mode,
            "size": size,
            "wire_bytes": wire_size(messages[0]) if messages else 0,
            "signatures": "n/a" if path == "baseline" else ("batch" if batch > 1 else "event"),
            "workers": workers,
        }

    # --- the run ----------------------------------------------------------------------
    def baseline_messages(self, size: int, count: int) -> list[KafkaMessage]:
        pool = self.hub_messages(min(count, 1000), size, self.options.batch)
        return [pool[i % len(pool)] for i in range(count)]

    async def throughput_round(self, size: int, workers: int) -> None:
        """Baseline, then the hub with batch signatures, then per-event signatures."""
        o = self.options
        count = self.flood_count(size)
        await self.flood(
            "baseline", size, 0, workers, self.baseline_messages(size, MEMORY_BUDGET // size)
        )
        await self.flood("hub", size, o.batch, workers, self.hub_messages(count, size, o.batch))
        if o.per_event and workers == 1:
            await self.flood("hub", size, 1, workers, self.hub_messages(count, size, 1))

    async def latency_round(self, size: int, workers: int) -> None:
        """Both paths at the fixed offered load (1,000 events/s by default)."""
        o = self.options
        count = int(o.rate * o.duration_s) + 1
        await self.paced("baseline", size, 0, workers, o.rate, self.baseline_messages(size, count))
        await self.paced(
            "hub", size, o.batch, workers, o.rate, self.hub_messages(count, size, o.batch)
        )

    async def search(self, size: int) -> float:
        """Highest paced rate the hub sustains: delivered >= 95% offered, p99 <= 1 s, drained."""
        o = self.options
        rate, best = max(100.0, round(0.6 * self._hub_rate, -1)), 0.0
        for _ in range(o.search_steps):
            count = int(rate * o.duration_s) + 1
            row = await self.paced(
                "hub", size, o.batch, 1, rate, self.hub_messages(count, size, o.batch), "search"
            )
            ok = row["drained"] and row["throughput_eps"] >= 0.95 * rate and row["p99_ms"] <= 1000.0
            row["sustained"] = ok
            if not ok:
                break
            best, rate = rate, round(rate * 1.25, -1)
        return best

    async def run(self) -> dict[str, Any]:
        o = self.options
        self.start_copier()
        self.hub.start_worker(*self._profiler())
        for size in o.sizes:
            await self.throughput_round(size, 1)
        if o.latency:
            await self.latency_round(o.sizes[0], 1)
        best = await self.search(o.sizes[0]) if o.search_steps else 0.0
        if o.http:
            await self.http_round(o.sizes[0])
        if o.two_workers:
            self.start_copier()
            self.hub.start_worker()
            await asyncio.sleep(5)  # let the first worker finish its rebalance
            await self.throughput_round(o.sizes[0], 2)
            if o.latency:
                await self.latency_round(o.sizes[0], 2)
        return {"max_sustained_eps": best}

    def _profiler(self) -> tuple[str, ...]:
        """argv prefix that runs worker 1 under pyinstrument (``--profile DIR``)."""
        if self.profile_dir is None:
            return ()
        out = Path(self.profile_dir).resolve()
        out.mkdir(parents=True, exist_ok=True)
        session = str(out / "worker.pyisession")
        return (sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", session)

    def close(self) -> None:
        for copier in self.copiers:
            copier.stop()
        self.stop_api()
