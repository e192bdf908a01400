"""Build realistic dossier events for integration tests (unique dossier codes), and read a
dossier's records back exactly."""

from __future__ import annotations

import itertools
import random
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from schemas import CloudEvent, KafkaMessage, load_catalog
from schemas.examples import example_data
from tests.support.pipeline import Pipeline, new_event

_sequence = itertools.count(1)
_day = date(2026, 1, 1) + timedelta(days=random.randrange(300))


def dossier_code(agency: str) -> str:
    """A fresh ``<agency>-YYMMDD-NNNN`` dossier code, unique within the test session."""
    number = next(_sequence)
    day = _day + timedelta(days=number // 9000)
    return f"{agency}-{day:%y%m%d}-{number % 9000 + 1000:04d}"


def dossier_event(
    record: str, source: str, code: str, *, at: datetime | None = None, **data: Any
) -> CloudEvent:
    """An event of ``record`` (e.g. ``DossierSubmitted``) for dossier ``code``."""
    body = {**example_data(record), "dossier_code": code, **data}
    ce_type = load_catalog().by_record(f"vn.gov.thanhhoa.hub.{record}").ce_type
    return new_event(ce_type, source, code, body, at=at)


def utc(*args: int) -> datetime:
    """A UTC datetime, shorter to write."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def records_now(
    pipeline: Pipeline, topic: str, code: str, timeout_s: float = 30.0
) -> list[KafkaMessage]:
    """Every record of dossier ``code`` on ``topic`` now: read up to the end offsets, so
    that a count is exact (``Pipeline.records_for`` stops at "at least")."""
    consumer = KafkaConsumer(**pipeline.settings.kafka_client_config(), enable_auto_commit=False)
    records: list[KafkaMessage] = []
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            assert time.monotonic() < deadline, f"{topic}: not read to its end in {timeout_s}s"
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(KafkaMessage.from_record(r) for r in batch)
    finally:
        consumer.close()
    return [r for r in records if r.key == code.encode()]


def wait_until_tracking(
    pipeline: Pipeline, agency: str, procedure: str, timeout_s: float = 30.0
) -> None:
    """Submit throwaway dossiers until one is tracked: a worker just started on new topics
    may quarantine its first events (``internal_error``, Faust's PartitionsMismatch while
    its metadata lacks a changelog topic it has just created)."""
    deadline = time.monotonic() + timeout_s
    while True:
        code = dossier_code(agency)
        submitted = dossier_event(
            "DossierSubmitted", agency, code, receiving_agency_id=agency, procedure_code=procedure
        )
        pipeline.publish(submitted)
        try:
            pipeline.read(pipeline.names.dossier_state, partial(_has, code=code), timeout_s=5)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def _has(records: list[KafkaMessage], code: str) -> bool:
    return any(r.key == code.encode() for r in records)
