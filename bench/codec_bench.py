"""Codec cost vs bare fastavro: encode/decode of the same record, printed as ratios.

Run ``python -m bench.codec_bench [--runs N] [--records all|NAME ...]``. The target
(issue 3) is a ratio of at most 1.5: the codec adds headers, the 5-byte wire prefix and
the checks around fastavro's schemaless calls.

Like with like: the bare baseline calls ``schemaless_writer`` / ``schemaless_reader``
with the same parsed schema on the same record, and reads exactly the bytes that follow
the codec's wire prefix; the codec side is a full ``encode`` of the CloudEvent and a full
``decode`` of the Kafka message (headers, prefix, schema lookup, event). Codec and bare
calls are timed in alternating short rounds and each side keeps its best round, so a
busy machine slows both alike and the ratio stays readable.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO

from fastavro import schemaless_reader, schemaless_writer

from schemas import EventCodec, InMemoryResolver, load_catalog
from schemas._parse import load_json, parse_fastavro
from schemas._wire import PREFIX_SIZE
from schemas.catalog import EVENT_TYPES
from schemas.examples import example_event

DEFAULT_RECORDS = ("DossierSubmitted", "DossierStatusChanged")


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


def _paired_us(
    ours: Callable[[], object], bare: Callable[[], object], iterations: int, rounds: int
) -> tuple[float, float]:
    """Best per-call time in µs of each action, timed in alternating rounds."""
    best = [float("inf"), float("inf")]
    actions = (ours, bare)
    for round_ in range(rounds):
        for side in (0, 1) if round_ % 2 == 0 else (1, 0):
            action = actions[side]
            start = time.perf_counter()
            for _ in range(iterations):
                action()
            best[side] = min(best[side], (time.perf_counter() - start) / iterations)
    return best[0] * 1e6, best[1] * 1e6


def run(
    records: Sequence[str] = DEFAULT_RECORDS, iterations: int = 500, rounds: int = 60
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
        codec.decode(message)  # warm the schema caches: steady state is what is measured
        bare = BytesIO()
        schemaless_writer(bare, parsed, event.data)
        bare_bytes = bare.getvalue()
        if message.value[PREFIX_SIZE:] != bare_bytes:
            raise RuntimeError(f"{record}: the codec and bare fastavro wrote different bytes")

        def bare_encode() -> bytes:
            out = BytesIO()
            schemaless_writer(out, parsed, event.data)  # noqa: B023
            return out.getvalue()

        def bare_decode() -> object:
            return schemaless_reader(BytesIO(bare_bytes), parsed, None)  # noqa: B023

        encode_us, bare_encode_us = _paired_us(
            lambda: codec.encode(event),  # noqa: B023
            bare_encode,
            iterations,
            rounds,
        )
        decode_us, bare_decode_us = _paired_us(
            lambda: codec.decode(message),  # noqa: B023
            bare_decode,
            iterations,
            rounds,
        )
        results.append(BenchResult(record, encode_us, bare_encode_us, decode_us, bare_decode_us))
    return results


def median_results(runs: Sequence[Sequence[BenchResult]]) -> list[BenchResult]:
    """Per record, the median of each figure over ``runs`` (ratios: see :func:`report`)."""
    out = []
    for same_record in zip(*runs, strict=True):
        out.append(
            BenchResult(
                same_record[0].record,
                statistics.median(r.encode_us for r in same_record),
                statistics.median(r.bare_encode_us for r in same_record),
                statistics.median(r.decode_us for r in same_record),
                statistics.median(r.bare_decode_us for r in same_record),
            )
        )
    return out


def report(results: Sequence[BenchResult], runs: Sequence[Sequence[BenchResult]] = ()) -> str:
    """A small table; with ``runs``, the ratio columns are the medians of the runs' ratios."""
    lines = [
        f"{'record':<22}{'encode µs':>11}{'bare':>9}{'ratio':>8}"
        f"{'decode µs':>12}{'bare':>9}{'ratio':>8}"
    ]
    for i, r in enumerate(results):
        enc, dec = r.encode_ratio, r.decode_ratio
        if runs:
            enc = statistics.median(run[i].encode_ratio for run in runs)
            dec = statistics.median(run[i].decode_ratio for run in runs)
        lines.append(
            f"{r.record:<22}{r.encode_us:>11.2f}{r.bare_encode_us:>9.2f}{enc:>8.2f}"
            f"{r.decode_us:>12.2f}{r.bare_decode_us:>9.2f}{dec:>8.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bench.codec_bench``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=500, help="calls per round")
    parser.add_argument("--rounds", type=int, default=60, help="alternating rounds per side")
    parser.add_argument("--runs", type=int, default=1, help="runs; >1 also prints medians")
    parser.add_argument(
        "--records",
        nargs="+",
        default=list(DEFAULT_RECORDS),
        help="record names, or 'all' for every event type in the catalog",
    )
    args = parser.parse_args(argv)
    records = [e.record for e in EVENT_TYPES] if args.records == ["all"] else args.records
    runs = []
    for number in range(1, args.runs + 1):
        results = run(records, iterations=args.iterations, rounds=args.rounds)
        runs.append(results)
        if args.runs > 1:
            print(f"run {number}/{args.runs}")
        print(report(results))
    if args.runs > 1:
        print(f"\nmedian of {args.runs} runs", report(median_results(runs), runs), sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
