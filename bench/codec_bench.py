"""Codec cost vs bare fastavro: encode/decode of the same record, printed as ratios.

Run ``python -m bench.codec_bench [--iterations N]``. The design target is a ratio of
at most 1.5 (the codec adds headers and the 5-byte wire prefix around fastavro).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO

from fastavro import schemaless_reader, schemaless_writer

from schemas import EventCodec, InMemoryResolver, load_catalog
from schemas._parse import load_json, parse_fastavro
from schemas.catalog import EVENT_TYPES
from schemas.examples import example_event


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Per-call times in microseconds and the codec/bare ratios for one record type."""

    record: str
    encode_us: float
    bare_encode_us: float
    decode_us: float
    bare_decode_us: float

    @property
    def encode_ratio(self) -> float:
        return self.encode_us / self.bare_encode_us

    @property
    def decode_ratio(self) -> float:
        return self.decode_us / self.bare_decode_us


def _per_call_us(action: Callable[[], object], iterations: int, repeats: int = 5) -> float:
    """Best-of-``repeats`` mean time of ``action`` in microseconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            action()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best * 1e6


def run(
    records: Sequence[str] = ("DossierSubmitted", "DossierStatusChanged"), iterations: int = 20_000
) -> list[BenchResult]:
    """Measure each record type; the bare baseline writes/reads the same data and schema."""
    catalog = load_catalog()
    resolver = InMemoryResolver()
    for name in catalog.record_names():
        resolver.register(name, catalog.schema_text(name))
    codec = EventCodec(resolver, catalog)
    results = []
    for record in records:
        event_type = next(e for e in EVENT_TYPES if e.record == record)
        event = example_event(event_type)
        parsed = parse_fastavro(load_json(catalog.schema_text(event_type.full_name)))
        message = codec.encode(event)
        codec.decode(message)
        bare = BytesIO()
        schemaless_writer(bare, parsed, event.data)
        bare_bytes = bare.getvalue()

        def bare_encode() -> bytes:
            out = BytesIO()
            schemaless_writer(out, parsed, event.data)  # noqa: B023
            return out.getvalue()

        def bare_decode() -> object:
            return schemaless_reader(BytesIO(bare_bytes), parsed, None)  # noqa: B023

        results.append(
            BenchResult(
                record=record,
                encode_us=_per_call_us(lambda: codec.encode(event), iterations),  # noqa: B023
                bare_encode_us=_per_call_us(bare_encode, iterations),
                decode_us=_per_call_us(lambda: codec.decode(message), iterations),  # noqa: B023
                bare_decode_us=_per_call_us(bare_decode, iterations),
            )
        )
    return results


def report(results: Sequence[BenchResult]) -> str:
    """A small table of the results."""
    lines = [
        f"{'record':<22}{'encode µs':>11}{'bare':>9}{'ratio':>8}"
        f"{'decode µs':>12}{'bare':>9}{'ratio':>8}"
    ]
    for r in results:
        lines.append(
            f"{r.record:<22}{r.encode_us:>11.2f}{r.bare_encode_us:>9.2f}{r.encode_ratio:>8.2f}"
            f"{r.decode_us:>12.2f}{r.bare_decode_us:>9.2f}{r.decode_ratio:>8.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bench.codec_bench``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args(argv)
    print(report(run(iterations=args.iterations)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
