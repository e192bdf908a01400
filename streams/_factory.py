"""Builds the Faust App from the hub's settings."""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from hub_settings import HubSettings
from streams.credentials import faust_broker_credentials

AGENT_MODULES = [
    "streams.verify",
    "streams.route",
    "streams.track",
    "streams.audit",
    "streams.notify",
    "streams.support",
]
"""Explicit autodiscovery list: every module that defines agents, tables or timers."""


def bound_fetch_wait(wait_ms: int) -> None:
    """Build Faust's worker consumers with ``fetch_max_wait_ms=wait_ms`` instead of its
    literal 1500 (faust-streaming 0.15 offers no setting for it).

    aiokafka keeps one fetch request in flight per broker and leaves out partitions that
    still hold unread records. When the pipeline has just drained a burst, that request
    names only quiet partitions and the broker holds it for the whole wait, while new
    records for the left-out partitions (ingress, the events topic) sit unread: under a
    bounded-in-flight load every hop of the pipeline stalled ~1.5 s (docs/benchmarks.md)."""
    thread = faust_aiokafka.AIOKafkaConsumerThread
    create = getattr(thread, "_hub_original_create", thread._create_worker_consumer)

    def _create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = create(self, transport)
        consumer._fetch_max_wait_ms = wait_ms  # read when the consumer starts its fetcher
        return consumer

    setattr(thread, "_hub_original_create", create)  # noqa: B010  # a class faust owns
    setattr(thread, "_create_worker_consumer", _create_worker_consumer)  # noqa: B010


def table_options(settings: HubSettings) -> dict[str, int]:
    """Store options for every table: RocksDB's memory per table partition, bounded."""
    mb = 1024 * 1024
    streams = settings.streams
    return {
        "write_buffer_size": streams.rocksdb_write_buffer_mb * mb,
        "max_write_buffer_number": 2,
        "block_cache_size": streams.rocksdb_block_cache_mb * mb,
    }


def create_faust_app(settings: HubSettings) -> Any:
    """A Faust App with at-least-once processing, acks=all and the hub's topics' layout."""
    streams = settings.streams
    bound_fetch_wait(streams.fetch_max_wait_ms)
    return faust.App(
        streams.app_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap.split(",")],
        broker_credentials=faust_broker_credentials(settings.kafka),
        store=streams.table_store,
        datadir=str(streams.data_dir),
        autodiscover=AGENT_MODULES,
        origin="streams",
        # Known loss/duplicate bugs with exactly_once and agent concurrency > 1: at-least-once,
        # one actor per partition, deduplication at every side effect by event id.
        processing_guarantee="at_least_once",
        topic_partitions=streams.partitions,
        topic_replication_factor=streams.replication_factor,
        producer_acks=-1,
        producer_linger=0.005,  # batch sends for 5 ms: far fewer tiny produce requests
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        broker_commit_every=500,
        broker_commit_interval=1.0,
        broker_session_timeout=streams.session_timeout_s,
        broker_heartbeat_interval=streams.heartbeat_interval_s,
        web_enabled=streams.web_enabled,
        web_port=streams.web_port,
        key_serializer="raw",
        value_serializer="raw",
    )
