"""The verify agent with per-event versus batch (Merkle) signatures (issue 4's 5x target).

Two measurements:
- in a worker: a worker process running only the verify agent (``python -m
  bench.verify_bench worker``: the hub's worker with ``streams.verify`` as its one
  discovered module), fed alternating floods of per-event and batch-signed events;
  throughput counted at ``<prefix>.events.dossier``;
- pure: ``Verifier.check`` per event both ways, with its parts (Avro decode, canonical
  digest, Ed25519) timed separately, to say where the time goes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bench.baseline import Driver
from bench.harness import PUBLISHER, BenchHub, DossierFactory, padding_for, signed
from bench.report import Sampler
from registry import Catalog
from registry.catalog_loader import load_catalog
from schemas import EventCodec, InMemoryResolver, KafkaMessage
from schemas import load_catalog as load_event_catalog
from security import FileSigner, PublicKeyInfo, canonical_digest, generate_key_pair
from streams.verification import Verifier


@dataclass(frozen=True)
class _View:
    """A registry view without Kafka: the packaged catalog and one publisher key."""

    _catalog: Catalog
    _keys: dict[str, PublicKeyInfo]

    def catalog(self) -> Catalog:
        return self._catalog

    def keys(self) -> dict[str, PublicKeyInfo]:
        return self._keys


def _best_us(action: Callable[[], object], count: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            action()
        best = min(best, (time.perf_counter() - start) / count)
    return best * 1e6


def pure(count: int = 2000, batch: int = 100, size: int = 1024) -> dict[str, float]:
    """Per-event cost (µs) of ``Verifier.check`` and its parts, both signature kinds."""
    events_catalog = load_event_catalog()
    resolver = InMemoryResolver()
    for name in events_catalog.record_names():
        resolver.register(name, events_catalog.schema_text(name))
    codec = EventCodec(resolver)
    private, info = generate_key_pair(PUBLISHER, now=datetime(2026, 1, 1, tzinfo=UTC))
    signer = FileSigner(private, PUBLISHER, info.key_id)
    view = _View(load_catalog(), {info.key_id: info})
    factory = DossierFactory()
    padding = padding_for(codec, signer, size)
    events = [factory.event(padding) for _ in range(count)]
    single, batched = signed(codec, signer, events, 1), signed(codec, signer, events, batch)
    now = datetime.now(UTC)

    def run_all(messages: Sequence[KafkaMessage]) -> Callable[[], object]:
        def action() -> object:
            verifier = Verifier(codec, view, max_bytes=1_000_000, max_skew_s=300)
            for m in messages:
                verdict = verifier.check(m, now)
                assert verdict.accepted, verdict
            return None

        return action

    key = Ed25519PublicKey.from_public_bytes(info.public_key)
    sig = signer.sign(b"x" * 64)
    m0 = single[0]
    return {
        "check_event_us": _best_us(run_all(single), 1) / count,
        "check_batch_us": _best_us(run_all(batched), 1) / count,
        "decode_us": _best_us(lambda: codec.decode(m0), count),
        "canonical_digest_us": _best_us(lambda: canonical_digest(m0.headers, m0.value), count),
        "ed25519_verify_us": _best_us(lambda: key.verify(sig, b"x" * 64), count),
    }


async def in_worker(
    hub: BenchHub, duration_s: float, rounds: int, batch: int
) -> list[dict[str, Any]]:
    """Alternating floods (per-event, batch) into a verify-only worker; rate at events."""
    hub.worker_module = "bench.verify_bench"
    worker = hub.start_worker()
    signer = hub.signers[PUBLISHER]
    padding = padding_for(hub.codec, signer, 1024)
    factory = DossierFactory()
    rows: list[dict[str, Any]] = []
    count, window = int(600 * duration_s), 1000
    async with Driver(hub.settings, hub.names.ingress, hub.names.events("dossier")) as driver:
        for round_no in range(rounds):
            for kind, size in (("event", 1), ("batch", batch)):
                events = [factory.event(padding) for _ in range(count)]
                messages = signed(hub.codec, signer, events, size)
                with Sampler({"verify-worker": worker.pid}) as sampler:
                    phase = await driver.flood(f"verify-{kind}", messages, duration_s, window)
                    await driver.drain(phase, timeout_s=60)
                usage = sampler.usage[0]
                rows.append(
                    {
                        "round": round_no + 1,
                        "signatures": kind,
                        "throughput_eps": round(phase.throughput(0.2 * duration_s), 1),
                        "sent": phase.sent,
                        "delivered": len(phase.arrivals),
                        "worker_cpu_pct": round(usage.cpu_pct, 1),
                    }
                )
    return rows


def summary(rows: Sequence[dict[str, Any]], pure_us: dict[str, float]) -> dict[str, Any]:
    def mean(kind: str) -> float:
        values = [r["throughput_eps"] for r in rows if r["signatures"] == kind]
        return sum(values) / len(values) if values else 0.0

    event, batch = mean("event"), mean("batch")
    return {
        "worker_event_eps": round(event, 1),
        "worker_batch_eps": round(batch, 1),
        "worker_ratio": round(batch / event, 2) if event else None,
        "pure_ratio": round(pure_us["check_event_us"] / pure_us["check_batch_us"], 2),
        "target_ratio": 5.0,
    }


def _worker_main(argv: Sequence[str]) -> int:
    """The hub's worker with only the verify agent discovered (no track/route/audit)."""
    import streams._factory

    streams._factory.AGENT_MODULES[:] = ["streams.verify"]
    from hub_api.cli import main

    return main(list(argv))


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        raise SystemExit(_worker_main(sys.argv[1:]))
    print(pure())
